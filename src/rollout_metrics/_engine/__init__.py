"""The only code that branches on the dataframe implementation.

Everything else in the package speaks narwhals (lazy frames) or pandas (small, reduced
tables). Casts that must not fail (:mod:`.cast`), key checks (:mod:`.keys`), reading files
and storing validated copies (:mod:`.io`) and the small predicates of :mod:`.frames` live
here, so an engine quirk is handled once.
"""
