"""The report's words in each language, and numbers, dates and plurals by Babel.

One catalogue, keyed by message id: :data:`MESSAGES` maps a language to its messages.  A
message is a :meth:`str.format` template, or, when it counts something, a mapping from a
CLDR plural category (``one``, ``few``, ``many``, ``other``) to a template; Babel picks
the category from the number as it is displayed, so Russian reads «1 сегмент, 2 сегмента,
5 сегментов, 21 сегмент» and «20,7 пункта».  The English words of the figures are
:data:`rollout_metrics.plots.PLOT_TEXT` (the figures work without the report); they are
part of the English catalogue here and every language gives the same keys.

Metric texts (label, sentence subject, units, unit of a change, method) are looked up by
the registry name in :data:`METRIC_TEXT`; a metric registered without them falls back to
the registry's English texts, so a new metric shows up in every language at once.

Data values (segment names, column names, the title given by the user) are never
translated.

Examples
--------
>>> ru = Text("ru")
>>> ru.num(-12345.678), ru.num(0.04, 2), ru.p(0.0004)
('−12\\xa0345,7', '0,04', '<0,001')
>>> [ru("n_segments", n=n) for n in (1, 2, 5, 21)]
['1 сегмент', '2 сегмента', '5 сегментов', '21 сегмент']
>>> ru.units_after("nps", "20,7")
'20,7 пункта'
>>> Text("en")("n_segments", n=1), Text("en").num(1234.56)
('1 segment', '1,234.6')
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import babel
import pandas as pd
from babel import dates as bdates
from babel import numbers as bnumbers
from babel import units as bunits

from rollout_metrics.metrics import REGISTRY, MetricOptions
from rollout_metrics.plots import PLOT_TEXT
from rollout_metrics.report import LANGS

__all__ = ["LANGS", "MESSAGES", "METRIC_TEXT", "MINUS", "Text", "check_lang"]

MINUS = "\u2212"
Message = str | Mapping[str, str]

EN: dict[str, Message] = {
    **PLOT_TEXT,
    # titles given by default (translated; a title the user gives is kept as given)
    "title.default": "Rollout report",
    "title.sample": "Sample rollout report",
    # first screen
    "lede.windows": "Before: {before} · announcement window: {transition} · after: {after}",
    "lede.windows_no_transition": "Before: {before} · after: {after}",
    "lede.segments": "· segments: {by}",
    "verdict.heading": "At a glance: did the change move each metric?",
    "verdict.worse": "Worse",
    "verdict.better": "Better",
    "verdict.none": "No clear change",
    "verdict.no_data": "Not enough data to tell",
    "tile.change": "change",
    "tile.interval": "{level} CI {low} to {high}",
    "tile.from_to": "{before} → {after}",
    "tile.mde": "A change smaller than ±{mde} would likely go unnoticed (MDE).",
    "tile.trend_explains": "The naive change is explained by a trend that started before "
                           "the change (see the trend check).",
    "tile.trend_unclear": "Inconclusive once the pre-existing trend is modelled.",
    "tile.trend_opposite": "Opposite sign once the pre-existing trend is modelled.",
    "tile.trend_found": "A change shows only once the pre-existing trend is modelled "
                        "(see the trend check).",
    "tile.segments_moved": "Segments that moved:",
    "tile.no_segment_moved": "No segment moved significantly.",
    "tile.more_segments": {"one": "and {n} more segment", "other": "and {n} more segments"},
    "tile.legend": "▲▼ direction of the change; colour and word: better or worse for "
                   "customers. Significance is after correcting for {comparisons} "
                   "({correction}).",
    # sections
    "h.guardrails": "Guardrails",
    "h.summary": "In words",
    "h.headline": "Each metric overall, after vs before",
    "h.segments": "Per segment, after vs before",
    "h.plots": "Plots",
    "h.transition": "Announcement window: transition vs before",
    "h.trend": "Trend check: naive before/after vs interrupted time series",
    "h.mix": "Mix shift",
    "h.quality": "Data quality",
    "h.quality_reasons": "Excluded rows by reason",
    "h.methods": "Methods and assumptions",
    # table headers
    "col.metric": "metric", "col.segment": "segment", "col.n_before": "n before",
    "col.n_after": "n after", "col.before": "before", "col.after": "after",
    "col.transition": "transition", "col.delta": "delta", "col.delta_rel": "relative",
    "col.ci": "{level} CI", "col.p": "p", "col.p_adj": "p adjusted",
    "col.significant": "significant", "col.mde": "MDE", "col.status": "status",
    "col.guardrail": "guardrail", "col.comparison": "comparison", "col.value": "value",
    "col.outcome": "outcome", "col.naive": "naive delta", "col.its": "ITS average effect",
    "col.model": "model", "col.reading": "reading", "col.units": "units", "col.by": "by",
    "col.overall_delta": "overall delta", "col.within": "within segments",
    "col.mix": "from mix", "col.mix_share": "mix share", "col.table": "table",
    "col.rows_read": "rows read", "col.rows_excluded": "rows excluded",
    "col.rows_used": "rows used", "col.rule": "rule", "col.column": "column",
    "col.rows": "rows", "col.examples": "examples", "col.test": "test and interval",
    "col.method_ids": "method ids",
    # cell values
    "yes": "yes", "no": "no", "overall": "overall",
    "sig.trend": "yes †",
    "grid.worse": "worse for customers", "grid.better": "better for customers",
    "other.segments": {"one": "{n} other segment", "other": "{n} other segments"},
    "other.customers": {"one": "{n} customer", "other": "{n} customers"},
    "other.observations": {"one": "{n} observation", "other": "{n} observations"},
    "other.line": "{segments}, {size}",
    "other.note": "{line}, grouped here; significant changes among them: {sig}",
    "status.grouped": "grouped",
    "m.grouped": "{by}: the {top} largest of {total} are shown one by one; the other "
                 "{rest} are one line in the tables, the grid and the plots. Every segment "
                 "was compared and counts in the family of comparisons.",
    "comparison.after_vs_before": "after vs before",
    "comparison.transition_vs_before": "transition vs before",
    "status.ok": "ok", "status.insufficient_data": "too few observations",
    "status.degenerate": "no variation", "status.censoring": "many open tickets",
    "status.overdispersed": "overdispersed", "status.partial_window": "partial window",
    "status.not_segmented": "not segmented", "status.not_treated": "not treated",
    "status.trend_explained": "explained by a pre-existing trend (see the trend check)",
    "status.trend_opposite": "reversed once the trend is modelled (see the trend check)",
    "outcome.breached": "breached", "outcome.met, not significant": "met, not significant",
    "outcome.not met": "not met", "outcome.not tested": "not tested",
    "outcome.met, not beyond the margin": "met, not beyond the margin",
    "ci.range": "{low} to {high}", "ci.two_sided": "{level} two-sided",
    # guardrails
    "guard.checked": {"one": "{n} guardrail checked:", "other": "{n} guardrails checked:"},
    "guard.breached": "{n} breached", "guard.none_breached": "none breached",
    "guard.untested": {"one": "{n} row not tested", "other": "{n} rows not tested"},
    "guard.rule": "A row breaches a guardrail when it meets the condition and is "
                  "significant.",
    # sentences
    "s.sentence": "{subject} {verb} {delta}{units}{ci} {who} {when}, from {before} to "
                  "{after}; {verdict}.",
    "s.rose": "rose", "s.fell": "fell", "s.flat": "did not change:",
    "s.ci": " ({level} CI {low} to {high})",
    "s.overall": "overall", "s.customers": "among {segment} customers ({by})",
    "s.group": "for {by} {segment}",
    "s.after": "after the change", "s.transition": "during the announcement window",
    "s.correcting": {"one": "correcting for {n} comparison ({correction})",
                     "other": "correcting for {n} comparisons ({correction})"},
    "s.not_tested": "not tested (too few observations)",
    "s.caveat.explained": "But the trend check finds that a trend which started before the "
                          "change explains it: no clear change.",
    "s.caveat.opposite": "But once the pre-existing trend is modelled the change points the "
                         "other way: no clear change.",
    "s.significant": "significant after {how}", "s.not_significant": "not significant after {how}",
    "s.more": {"one": "{n} more segment change is significant; see the per-segment tables.",
               "other": "{n} more segment changes are significant; see the per-segment "
                        "tables."},
    "s.no_segment": {"one": "No segment changed significantly after the change, after "
                            "correcting for {n} comparison.",
                     "other": "No segment changed significantly after the change, after "
                              "correcting for {n} comparisons."},
    "s.transition_more": {"one": "{n} segment change during the announcement window is "
                                 "significant; see the announcement-window table.",
                          "other": "{n} segment changes during the announcement window are "
                                   "significant; see the announcement-window table."},
    "s.excluded": {"one": "{n} input row was excluded by data-quality rules; see",
                   "other": "{n} input rows were excluded by data-quality rules; see"},
    "s.trend": "{subject}: the naive after-vs-before change of {naive} ({units}) is "
               "{verdict}; the interrupted time series estimates {its} ({level} CI {ci}).",
    # trend verdicts
    "trend.inconclusive": "inconclusive once the trend is modelled (wider interval)",
    "trend.explained": "not confirmed: the pre-existing trend explains it",
    "trend.confirmed": "confirmed",
    "trend.opposite": "opposite sign once the trend is modelled",
    "trend.found_only": "found only once the trend is modelled",
    "trend.none": "no change in either",
    "trend.no_its": "{metric}: no interrupted time series ({error})",
    "model.its_ols": "segmented regression (least squares)",
    "model.its_ols_hac": "segmented regression (least squares, Newey–West errors)",
    "model.its_gls_ar": "segmented regression with AR({p}) errors (generalised least squares)",
    "model.its_poisson": "Poisson segmented regression",
    "model.its_quasipoisson": "quasi-Poisson segmented regression",
    "model.its_quasipoisson_hac": "quasi-Poisson segmented regression (Newey–West errors, "
                                  "fixed-b critical values)",
    "model.its_count_ar": "{model} segmented regression with AR({p}) working errors",
    "model.count.poisson": "Poisson", "model.count.quasipoisson": "quasi-Poisson",
    # section texts
    "p.headline_note": "Units: {units}. Significance is after correcting for {comparisons} "
                       "({correction}); MDE is the minimum detectable effect at 80% power.",
    "p.trend_mark": "†: significant before/after, but a trend that started before the "
                    "change explains it (see the trend check), so no clear change.",
    "p.minutes": "Times under an hour are shown in minutes.",
    "p.units_item": "{metric} in {units}",
    "p.transition": "Customers can react between the announcement and the change date. "
                    "These rows compare that window with the before period.",
    "p.no_transition": "No announcement date was given, so there is no announcement window.",
    "p.trend": "A naive before/after difference is biased when the metric was already "
               "moving. The interrupted time series models the level and trend before the "
               "announcement (and the announcement window separately) and estimates the "
               "average effect over the after window.",
    "p.mix": "Whether a change in who answered, churned or raised tickets explains the "
             "overall change: overall delta = within-segment change + change from the "
             "segment mix. The mix share is shown when both parts point the same way.",
    "p.no_segments": "No segments were requested.",
    "p.no_excluded": "No row was excluded.",
    "m.periods": "Periods are half-open whole days in the rollout's timezone; the change "
                 "date belongs to the after period.",
    "m.family": "Multiple comparisons: {comparisons} form one family, corrected with "
                "{correction} at α = {alpha}.",
    "m.min_n": "Rows with fewer than {min_n} observations in either period are not tested "
               "(status: {status}) and stay out of the family.",
    "m.segments": "Each segment column is compared on its own (segments are not crossed); "
                  "handling time uses the {stat}; bootstrap: {n_resamples} resamples, "
                  "seed {seed}.",
    "m.assume": "Before/after comparisons assume nothing else changed at the same time; "
                "see the trend check and the plots for trends that started before the "
                "change.",
    "stat.median": "median", "stat.p90": "90th percentile", "stat.mean": "mean",
    "correction.fdr_bh": "Benjamini–Hochberg", "correction.holm": "Holm",
    "correction.by": "Benjamini–Yekutieli", "correction.none": "no correction",
    "n_segments": {"one": "{n} segment", "other": "{n} segments"},
    "n_rows": {"one": "{n} row", "other": "{n} rows"},
    "n_days": {"one": "{n} day", "other": "{n} days"},
    # plot captions
    "cap.over-time": "Each metric per week; horizontal lines: the level of each period; "
                     "dotted line: announcement; solid line: change date; dash-dotted line "
                     "and hatched band: what the interrupted time series expects without "
                     "the change (the trend before the announcement extended), where it "
                     "was fitted.",
    "cap.heatmap": "For whom: the change after vs before in each segment (rows) and metric "
                   "(columns), in the metric's units; colour: better (purple) or worse "
                   "(orange) for customers; framed and * : significant; dashed frame and †: "
                   "significant before/after, but a trend that started before the change "
                   "explains it, so no clear change.",
    "cap.forest": "{metric}: per-segment changes with confidence intervals.",
    "cap.forest_marks": "Filled square: significant after correction (vermillion: worse, "
                        "blue: better for customers); open circle: not significant; open "
                        "diamond: significant before/after, but a trend that started before "
                        "the change explains it.",
    "cap.handling-ecdf": "Handling time distribution per period.",
    "cap.churn-km": "Share of customers still active, per period.",
    # footer
    "f.data": "data",
    "f.rollout": "Rollout: {rollout}",
    "f.generated": "Generated {time}",
    "link.quality": "Data quality",
}

RU: dict[str, Message] = {
    # figures
    "plot.period.before": "до",
    "plot.period.transition": "переход",
    "plot.period.after": "после",
    "plot.over_time.title": "Метрики во времени ({freq}{where}; полоса: {level} ДИ)",
    "plot.over_time.weekly": "по неделям",
    "plot.over_time.daily": "по дням",
    "plot.fitted": "модель",
    "plot.counterfactual": "без изменения",
    "plot.its_band": "без изменения: прежний тренд продолжен (временной ряд, полоса {level})",
    "plot.overall": "в целом",
    "plot.forest.xlabel": "изменение, после − до ({units})",
    "plot.forest.title": "{metric}: {comparison}\n(жирным/закрашено: значимо с поправкой)",
    "plot.heatmap.colorbar": "стандартизованное изменение (+ лучше для клиентов)",
    "plot.heatmap.title": "{comparison}: изменение в единицах метрики\n"
                          "(* значимо с поправкой)",
    "plot.heatmap.trend": "† значимо, но это объясняет тренд, начавшийся до изменения",
    "plot.na": "н/д",
    "plot.other_cell": "значимо: {n}",
    "plot.ecdf.label": "{period}: n = {n}, медиана {median} ч, p90 {p90} ч",
    "plot.ecdf.xlabel": "время решения, часы (логарифмическая шкала)",
    "plot.ecdf.ylabel": "доля обработанных обращений",
    "plot.ecdf.title": "Время обработки: эмпирическая функция распределения по периодам\n"
                       "(кружок: медиана, ромб: 90-й процентиль)",
    "plot.km.label": "{period} ({n} ушли)",
    "plot.km.xlabel": "дни от начала окна",
    "plot.km.ylabel": "доля оставшихся клиентов",
    "plot.km.title": "Отток: кривые Каплана — Мейера по периодам (полоса {level})",
    "title.default": "Отчёт о внедрении изменений",
    "title.sample": "Пример отчёта о внедрении изменений",
    "lede.windows": "До: {before} · окно анонса: {transition} · после: {after}",
    "lede.windows_no_transition": "До: {before} · после: {after}",
    "lede.segments": "· сегменты: {by}",
    "verdict.heading": "Коротко: изменилась ли каждая метрика?",
    "verdict.worse": "Хуже",
    "verdict.better": "Лучше",
    "verdict.none": "Явного изменения нет",
    "verdict.no_data": "Данных недостаточно",
    "tile.change": "изменение",
    "tile.interval": "{level} ДИ от {low} до {high}",
    "tile.from_to": "{before} → {after}",
    "tile.mde": "Изменение меньше ±{mde}, скорее всего, осталось бы незамеченным "
                "(минимальный обнаружимый эффект).",
    "tile.trend_explains": "Простое изменение объясняется трендом, начавшимся до изменения "
                           "(см. проверку тренда).",
    "tile.trend_unclear": "С учётом прежнего тренда вывод неоднозначен.",
    "tile.trend_opposite": "С учётом прежнего тренда знак изменения обратный.",
    "tile.trend_found": "Изменение видно только с учётом прежнего тренда "
                        "(см. проверку тренда).",
    "tile.segments_moved": "Сегменты, где есть изменение:",
    "tile.no_segment_moved": "Ни в одном сегменте значимого изменения нет.",
    "tile.more_segments": {"one": "и ещё {n} сегмент", "few": "и ещё {n} сегмента",
                           "many": "и ещё {n} сегментов", "other": "и ещё {n} сегмента"},
    "tile.legend": "▲▼ направление изменения; цвет и слово: лучше или хуже для клиентов. "
                   "Значимость — с поправкой на {comparisons} ({correction}).",
    "h.guardrails": "Контрольные условия",
    "h.summary": "Словами",
    "h.headline": "Каждая метрика в целом: после против до",
    "h.segments": "По сегментам: после против до",
    "h.plots": "Графики",
    "h.transition": "Окно анонса: переход против до",
    "h.trend": "Проверка тренда: простое сравнение до/после и прерванный временной ряд",
    "h.mix": "Сдвиг структуры",
    "h.quality": "Качество данных",
    "h.quality_reasons": "Исключённые строки по причинам",
    "h.methods": "Методы и допущения",
    "col.metric": "метрика", "col.segment": "сегмент", "col.n_before": "n до",
    "col.n_after": "n после", "col.before": "до", "col.after": "после",
    "col.transition": "переход", "col.delta": "изменение", "col.delta_rel": "относительное",
    "col.ci": "{level} ДИ", "col.p": "p", "col.p_adj": "p с поправкой",
    "col.significant": "значимо", "col.mde": "МОЭ", "col.status": "статус",
    "col.guardrail": "условие", "col.comparison": "сравнение", "col.value": "значение",
    "col.outcome": "итог", "col.naive": "простое изменение",
    "col.its": "средний эффект (временной ряд)",
    "col.model": "модель", "col.reading": "вывод", "col.units": "единицы",
    "col.by": "разрез",
    "col.overall_delta": "общее изменение", "col.within": "внутри сегментов",
    "col.mix": "из-за структуры", "col.mix_share": "доля структуры", "col.table": "таблица",
    "col.rows_read": "прочитано строк", "col.rows_excluded": "исключено строк",
    "col.rows_used": "использовано строк", "col.rule": "правило", "col.column": "столбец",
    "col.rows": "строк", "col.examples": "примеры", "col.test": "тест и интервал",
    "col.method_ids": "идентификаторы методов",
    "yes": "да", "no": "нет", "overall": "в целом",
    "sig.trend": "да †",
    "grid.worse": "хуже для клиентов", "grid.better": "лучше для клиентов",
    "other.segments": {"one": "ещё {n} сегмент", "few": "ещё {n} сегмента",
                       "many": "ещё {n} сегментов", "other": "ещё {n} сегмента"},
    "other.customers": {"one": "{n} клиент", "few": "{n} клиента", "many": "{n} клиентов",
                        "other": "{n} клиента"},
    "other.observations": {"one": "{n} наблюдение", "few": "{n} наблюдения",
                           "many": "{n} наблюдений", "other": "{n} наблюдения"},
    "other.line": "{segments}, {size}",
    "other.note": "{line}, объединены в одну строку; значимых изменений среди них: {sig}",
    "status.grouped": "объединены",
    "m.grouped": "{by}: по отдельности показаны {top} крупнейших из {total}; остальные "
                 "{rest} — одна строка в таблицах, сетке и на графиках. Сравнивался каждый "
                 "сегмент, и каждый входит в семейство сравнений.",
    "comparison.after_vs_before": "после против до",
    "comparison.transition_vs_before": "переход против до",
    "status.ok": "в порядке", "status.insufficient_data": "мало наблюдений",
    "status.degenerate": "нет разброса", "status.censoring": "много открытых обращений",
    "status.overdispersed": "сверхдисперсия", "status.partial_window": "неполное окно",
    "status.not_segmented": "без разбивки", "status.not_treated": "без воздействия",
    "status.trend_explained": "объясняется прежним трендом (см. проверку тренда)",
    "status.trend_opposite": "с учётом тренда знак обратный (см. проверку тренда)",
    "outcome.breached": "нарушено", "outcome.met, not significant": "выполнено, не значимо",
    "outcome.not met": "не выполнено", "outcome.not tested": "не проверено",
    "outcome.met, not beyond the margin": "выполнено, но не за пределом запаса",
    "ci.range": "от {low} до {high}", "ci.two_sided": "{level}, двусторонний",
    "guard.checked": {"one": "Проверено {n} условие:", "few": "Проверено {n} условия:",
                      "many": "Проверено {n} условий:", "other": "Проверено {n} условия:"},
    "guard.breached": "нарушено: {n}", "guard.none_breached": "ни одно не нарушено",
    "guard.untested": {"one": "{n} строка не проверена", "few": "{n} строки не проверены",
                       "many": "{n} строк не проверено", "other": "{n} строки не проверено"},
    "guard.rule": "Строка нарушает условие, если выполняет его и изменение значимо.",
    "s.sentence": "{subject}: {verb} на {delta}{units}{ci} {who} {when}, с {before} до "
                  "{after}; {verdict}.",
    "s.rose": "рост", "s.fell": "снижение", "s.flat": "изменение",
    "s.ci": " ({level} ДИ от {low} до {high})",
    "s.overall": "в целом", "s.customers": "у клиентов сегмента «{segment}» ({by})",
    "s.group": "в сегменте «{segment}» ({by})",
    "s.after": "после изменения", "s.transition": "в окне анонса",
    "s.correcting": {"one": "с поправкой на {n} сравнение ({correction})",
                     "few": "с поправкой на {n} сравнения ({correction})",
                     "many": "с поправкой на {n} сравнений ({correction})",
                     "other": "с поправкой на {n} сравнения ({correction})"},
    "s.not_tested": "не проверялось (мало наблюдений)",
    "s.caveat.explained": "Но проверка тренда показывает, что это объясняется трендом, "
                          "начавшимся до изменения: явного изменения нет.",
    "s.caveat.opposite": "Но с учётом прежнего тренда изменение направлено в другую сторону: "
                         "явного изменения нет.",
    "s.significant": "значимо {how}", "s.not_significant": "не значимо {how}",
    "s.more": {"one": "Значимо ещё {n} изменение в сегментах; см. таблицы по сегментам.",
               "few": "Значимы ещё {n} изменения в сегментах; см. таблицы по сегментам.",
               "many": "Значимы ещё {n} изменений в сегментах; см. таблицы по сегментам.",
               "other": "Значимы ещё {n} изменения в сегментах; см. таблицы по сегментам."},
    "s.no_segment": {"one": "Ни в одном сегменте нет значимого изменения после изменения "
                            "условий (поправка на {n} сравнение).",
                     "few": "Ни в одном сегменте нет значимого изменения после изменения "
                            "условий (поправка на {n} сравнения).",
                     "many": "Ни в одном сегменте нет значимого изменения после изменения "
                             "условий (поправка на {n} сравнений).",
                     "other": "Ни в одном сегменте нет значимого изменения после изменения "
                              "условий (поправка на {n} сравнения)."},
    "s.transition_more": {"one": "В окне анонса значимо {n} изменение в сегментах; см. "
                                 "таблицу окна анонса.",
                          "few": "В окне анонса значимы {n} изменения в сегментах; см. "
                                 "таблицу окна анонса.",
                          "many": "В окне анонса значимы {n} изменений в сегментах; см. "
                                  "таблицу окна анонса.",
                          "other": "В окне анонса значимы {n} изменения в сегментах; см. "
                                   "таблицу окна анонса."},
    "s.excluded": {"one": "{n} входная строка исключена правилами качества данных; см.",
                   "few": "{n} входные строки исключены правилами качества данных; см.",
                   "many": "{n} входных строк исключено правилами качества данных; см.",
                   "other": "{n} входной строки исключено правилами качества данных; см."},
    "s.trend": "{subject}: простое изменение до/после, {naive} ({units}), — {verdict}; "
               "прерванный временной ряд оценивает эффект в {its} ({level} ДИ {ci}).",
    "trend.inconclusive": "неоднозначно с учётом тренда (интервал шире)",
    "trend.explained": "не подтверждается: его объясняет прежний тренд",
    "trend.confirmed": "подтверждается",
    "trend.opposite": "с учётом тренда знак обратный",
    "trend.found_only": "видно только с учётом тренда",
    "trend.none": "изменения нет ни там, ни там",
    "trend.no_its": "{metric}: прерванный временной ряд не построен ({error})",
    "model.its_ols": "сегментированная регрессия (МНК)",
    "model.its_ols_hac": "сегментированная регрессия (МНК, ошибки Ньюи — Уэста)",
    "model.its_gls_ar": "сегментированная регрессия с ошибками АР({p}) (обобщённый МНК)",
    "model.its_poisson": "пуассоновская сегментированная регрессия",
    "model.its_quasipoisson_hac": "квазипуассоновская сегментированная регрессия (ошибки "
                                  "Ньюи — Уэста, критические значения Кифера — Фогельсанга)",
    "model.its_count_ar": "{model} сегментированная регрессия с рабочими ошибками АР({p})",
    "model.count.poisson": "пуассоновская", "model.count.quasipoisson": "квазипуассоновская",
    "model.its_quasipoisson": "квазипуассоновская сегментированная регрессия",
    "p.headline_note": "Единицы: {units}. Значимость — с поправкой на {comparisons} "
                       "({correction}); МОЭ — минимальный обнаружимый эффект при мощности "
                       "80%.",
    "p.units_item": "{metric} — {units}",
    "p.trend_mark": "†: значимо до/после, но это объясняет тренд, начавшийся до изменения "
                    "(см. проверку тренда), поэтому явного изменения нет.",
    "p.minutes": "Время меньше часа показано в минутах.",
    "p.transition": "Клиенты могут реагировать уже между анонсом и датой изменения. Эти "
                    "строки сравнивают это окно с периодом до.",
    "p.no_transition": "Дата анонса не указана, поэтому окна анонса нет.",
    "p.trend": "Простая разность до/после смещена, если метрика уже менялась. Прерванный "
               "временной ряд моделирует уровень и тренд до анонса (и отдельно окно анонса) "
               "и оценивает средний эффект в периоде после.",
    "p.mix": "Объясняет ли общее изменение сдвиг в том, кто отвечал на опросы, уходил или "
             "обращался: общее изменение = изменение внутри сегментов + изменение из-за "
             "структуры сегментов. Доля структуры показана, когда обе части направлены "
             "одинаково.",
    "p.no_segments": "Сегменты не заданы.",
    "p.no_excluded": "Ни одна строка не исключена.",
    "m.periods": "Периоды — полуоткрытые интервалы целых дней в часовом поясе изменения; "
                 "дата изменения относится к периоду после.",
    "m.family": "Множественные сравнения: {comparisons} образуют одно семейство, поправка — "
                "{correction} при α = {alpha}.",
    "m.min_n": "Строки, где в одном из периодов меньше {min_n} наблюдений, не проверяются "
               "(статус: {status}) и не входят в семейство.",
    "m.segments": "Каждый столбец сегментов сравнивается отдельно (сегменты не "
                  "пересекаются); для времени обработки берётся {stat}; бутстреп: "
                  "{n_resamples} повторов, зерно {seed}.",
    "m.assume": "Сравнение до/после предполагает, что одновременно ничего другого не "
                "менялось; тренды, начавшиеся до изменения, видны в проверке тренда и на "
                "графиках.",
    "stat.median": "медиана", "stat.p90": "90-й процентиль", "stat.mean": "среднее",
    "correction.fdr_bh": "Бенджамини — Хохберг", "correction.holm": "Холм",
    "correction.by": "Бенджамини — Иекутиели", "correction.none": "без поправки",
    "n_segments": {"one": "{n} сегмент", "few": "{n} сегмента", "many": "{n} сегментов",
                   "other": "{n} сегмента"},
    "n_rows": {"one": "{n} строка", "few": "{n} строки", "many": "{n} строк",
               "other": "{n} строки"},
    "n_days": {"one": "{n} день", "few": "{n} дня", "many": "{n} дней", "other": "{n} дня"},
    "cap.over-time": "Каждая метрика по неделям; горизонтальные линии — уровень каждого "
                     "периода; пунктир — анонс; сплошная линия — дата изменения; "
                     "штрихпунктир и штрихованная полоса — чего ждёт прерванный временной "
                     "ряд без изменения (тренд до анонса продолжен), где он построен.",
    "cap.heatmap": "Для кого: изменение после против до в каждом сегменте (строки) и метрике "
                   "(столбцы), в единицах метрики; цвет: лучше (фиолетовый) или хуже "
                   "(оранжевый) для клиентов; рамка и * — значимо; пунктирная рамка и † — "
                   "значимо до/после, но это объясняет тренд, начавшийся до изменения, "
                   "поэтому явного изменения нет.",
    "cap.forest": "{metric}: изменения по сегментам с доверительными интервалами.",
    "cap.forest_marks": "Закрашенный квадрат: значимо с поправкой (красный: хуже, синий: "
                        "лучше для клиентов); пустой кружок: не значимо; пустой ромб: "
                        "значимо до/после, но это объясняет тренд, начавшийся до изменения.",
    "cap.handling-ecdf": "Распределение времени обработки по периодам.",
    "cap.churn-km": "Доля клиентов, которые ещё остаются, по периодам.",
    "f.data": "данные",
    "f.rollout": "Изменение: {rollout}",
    "f.generated": "Создан {time}",
    "link.quality": "Качество данных",
}

#: English texts of the figures and of comparisons counted in the headline note.
EN["comparisons"] = {"one": "{n} comparison", "other": "{n} comparisons"}
RU["comparisons"] = {"one": "{n} сравнение", "few": "{n} сравнения", "many": "{n} сравнений",
                     "other": "{n} сравнения"}
EN["tested_rows"] = {"one": "{n} tested row", "other": "{n} tested rows"}
RU["tested_rows"] = {"one": "{n} проверенная строка", "few": "{n} проверенные строки",
                     "many": "{n} проверенных строк", "other": "{n} проверенной строки"}

# monitoring mode: which interval decides, the history view (report/history.py)
EN.update({
    "h.history": "How the picture formed, look by look",
    "history.intro": "From the run history: at each look, the estimate of the change after vs "
                     "before and its sequential interval, for every metric overall and for "
                     "the segments that breached or nearly breached a guardrail.",
    "history.decides.gs": "Monitoring look {look} of {planned} (data before {cutoff}): the "
                          "guardrails and the history view are decided on the group-sequential "
                          "interval ({spending}-type alpha spending), which keeps {level} "
                          "confidence over all planned looks. The results tables below show "
                          "fixed-horizon {level} intervals, which do not allow for repeated "
                          "looks.",
    "history.decides.cs": "Monitoring look {look} (data before {cutoff}) was not planned "
                          "({reason}): the guardrails and the history view are decided on the "
                          "always-valid confidence sequence, which keeps {level} confidence "
                          "over any number of looks taken at any time, and is wider. The "
                          "results tables below show fixed-horizon {level} intervals, which "
                          "do not allow for repeated looks.",
    "history.reason.off_plan": "the run history holds looks the schedule did not plan: "
                               "{looks}",
    "history.reason.item": "look {n} on day {day}",
    "history.reason.no_schedule": "no schedule of looks",
    "history.guard_note": "Monitoring mode: a guardrail on a change breaches when its one-sided "
                          "limit ({method}) is beyond the threshold; an estimate beyond it "
                          "alone is a near miss.",
    "method.group_sequential": "group-sequential",
    "method.confidence_sequence": "always-valid confidence sequence",
    "method.fixed_horizon": "fixed-horizon",
    "spending.obrien_fleming": "O'Brien–Fleming", "spending.pocock": "Pocock",
    "col.look": "look", "col.cutoff": "data before", "col.information": "information",
    "col.estimate": "estimate", "col.seq_ci": "sequential {level} interval",
    "col.interval": "interval",
    "plot.history.title": "{metric}: estimate and sequential {level} interval per look",
    "plot.history.xlabel": "look (data before)",
    "plot.history.ylabel": "after − before ({units})",
    "plot.history.guardrail": "guardrail {value}",
    "plot.history.look": "{n}\n{date}",
    "history.table_last": {"one": "The table lists the last {last} of {n} look; the plot "
                                   "shows them all.",
                           "other": "The table lists the last {last} of {n} looks; the plot "
                                    "shows them all."},
    "cap.history": "{metric}: the estimate at each look with its sequential interval; circles: "
                   "group-sequential, squares: always-valid confidence sequence; dashed: a "
                   "guardrail's threshold.",
})
RU.update({
    "h.history": "Как складывалась картина: просмотр за просмотром",
    "history.intro": "По истории запусков: на каждом просмотре оценка изменения «после против "
                     "до» и её последовательный интервал — для каждой метрики в целом и для "
                     "сегментов, которые нарушили условие или были близки к этому.",
    "history.decides.gs": "Мониторинг, просмотр {look} из {planned} (данные до {cutoff}): "
                          "условия и история решаются по групповому последовательному "
                          "интервалу (расходование ошибки типа {spending}), который сохраняет "
                          "уровень доверия {level} на всех запланированных просмотрах. Таблицы "
                          "результатов ниже показывают интервалы {level} для одного "
                          "просмотра, без учёта повторных просмотров.",
    "history.decides.cs": "Просмотр {look} (данные до {cutoff}) не был запланирован "
                          "({reason}): условия и история решаются по всегда верной "
                          "доверительной последовательности, которая сохраняет уровень "
                          "доверия {level} при любом числе просмотров в любые дни, но шире. "
                          "Таблицы результатов ниже показывают интервалы {level} для одного "
                          "просмотра, без учёта повторных просмотров.",
    "history.reason.off_plan": "в истории есть просмотры вне расписания: {looks}",
    "history.reason.item": "просмотр {n} на {day}-й день",
    "history.reason.no_schedule": "расписания просмотров нет",
    "history.guard_note": "В режиме мониторинга условие на изменение нарушено, когда его "
                          "односторонняя граница ({method}) за порогом; если за порогом только "
                          "оценка — это почти нарушение.",
    "method.group_sequential": "групповой последовательный метод",
    "method.confidence_sequence": "всегда верная доверительная последовательность",
    "method.fixed_horizon": "для одного просмотра",
    "spending.obrien_fleming": "О’Брайена — Флеминга", "spending.pocock": "Пококка",
    "col.look": "просмотр", "col.cutoff": "данные до", "col.information": "информация",
    "col.estimate": "оценка", "col.seq_ci": "последовательный интервал {level}",
    "col.interval": "интервал",
    "plot.history.title": "{metric}: оценка и последовательный интервал {level} по просмотрам",
    "plot.history.xlabel": "просмотр (данные до)",
    "plot.history.ylabel": "после − до ({units})",
    "plot.history.guardrail": "условие {value}",
    "plot.history.look": "{n}\n{date}",
    "history.table_last": {"one": "В таблице последние {last} из {n} просмотра; на графике "
                                   "все.",
                           "few": "В таблице последние {last} из {n} просмотров; на графике "
                                  "все.",
                           "many": "В таблице последние {last} из {n} просмотров; на графике "
                                   "все.",
                           "other": "В таблице последние {last} из {n} просмотра; на графике "
                                    "все."},
    "cap.history": "{metric}: оценка на каждом просмотре с последовательным интервалом; "
                   "кружки — групповой последовательный метод, квадраты — всегда верная "
                   "доверительная последовательность; пунктир — порог условия.",
})

MESSAGES: dict[str, dict[str, Message]] = {"en": EN, "ru": RU}
assert tuple(MESSAGES) == LANGS

_POINTS = {"one": "пункт", "few": "пункта", "many": "пунктов", "other": "пункта"}
_PP = {"one": "процентный пункт", "few": "процентных пункта", "many": "процентных пунктов",
       "other": "процентного пункта"}
_SCORE = {"one": "балл", "few": "балла", "many": "баллов", "other": "балла"}
#: The unit of the rates over active customer-days (complaints, contacts).
RATE_UNITS = {"en": "per 1,000 active customers per 30 days",
              "ru": "на 1000 активных клиентов за 30 дней"}
#: Times below this many hours (overall, before and after) are shown in minutes.
MINUTES_BELOW = 1.0
#: The default units of user-defined metrics (:func:`rollout_metrics.define_metric`) in the
#: other languages; units an analyst wrote are shown as written.
DEFAULT_UNITS: dict[str, dict[str, str | dict[str, str]]] = {"ru": {
    "%": "%", "% of tickets": "% обращений", "% of orders": "% заказов",
    "% of surveys": "% ответов на опросы", "% of active customers": "% активных клиентов",
    "per order": "на заказ", "per ticket": "на обращение", "per survey": "на ответ",
    "per active customer per 30 days": "на активного клиента за 30 дней",
    "per 1,000 customers per 30 days": RATE_UNITS["ru"], "percentage points": _PP}}

#: Texts of the built-in metrics by registry name; other languages and metrics fall back
#: to the registry's English (label, phrase, units, delta_units, method).
METRIC_TEXT: dict[str, dict[str, dict[str, Any]]] = {
    "en": {
        "complaints": {"units": RATE_UNITS["en"], "delta_units": RATE_UNITS["en"]},
        "contact_rate": {"units": RATE_UNITS["en"], "delta_units": RATE_UNITS["en"]},
    },
    "ru": {
        "nps": {"label": "NPS", "subject": "NPS", "units": "пункты NPS",
                "delta_units": _POINTS,
                "method": "Скорректированная разность Вальда для двух мультиномиальных NPS "
                          "(Рокс, 2016); z-критерий по той же статистике"},
        "csat": {"label": "CSAT (доля оценок 4–5, %)", "subject": "CSAT (доля оценок 4–5)",
                 "units": "% оценок 4–5", "delta_units": _PP,
                 "method": "Z-критерий для двух долей с объединённой оценкой; гибридный "
                           "интервал Ньюкомба"},
        "csat_mean": {"label": "CSAT (средняя оценка)", "subject": "Средняя оценка CSAT",
                      "units": "средняя оценка", "delta_units": _SCORE,
                      "method": "t-критерий Уэлча по распределению оценок"},
        "churn": {"label": "Отток (% за 30 клиенто-дней)",
                  "subject": "Отток (% за 30 клиенто-дней)",
                  "units": "% за 30 клиенто-дней", "delta_units": _PP,
                  "method": "Точный условный критерий отношения пуассоновских "
                            "интенсивностей; интервал для отношения по критерию множителей "
                            "Лагранжа"},
        "complaints": {"label": "Жалобы (на 1000 клиентов за 30 дней)",
                       "subject": "Частота жалоб (на 1000 клиентов за 30 дней)",
                       "units": RATE_UNITS["ru"], "delta_units": RATE_UNITS["ru"],
                       "method": "Точный пуассоновский критерий или, при сверхдисперсии "
                                 "дневного ряда, квазипуассоновская модель с днями недели; "
                                 "наблюдаемые частоты, интервал их разности — из интервала "
                                 "отношения"},
        "handling_time": {"label": "Время обработки (часы)",
                          "subject": {"median": "Медианное время обработки",
                                      "p90": "90-й процентиль времени обработки",
                                      "mean": "Среднее время обработки"},
                          "units": "часы",
                          "method": "Разность медиан (или 90-х процентилей): сглаженный "
                                    "бутстреп поминутных счётчиков с разбросом, пересчитанным "
                                    "на дисперсию с кластеризацией по клиентам, интервал и "
                                    "p-значение из того же бутстрепа (критерий Манна — Уитни "
                                    "оставлен как проверка сдвига распределения); среднее — "
                                    "отношение сумм с кластеризацией по клиентам"},
        "first_response_time": {
            "label": "Время первого ответа (часы)",
            "subject": {"median": "Медианное время первого ответа",
                        "p90": "90-й процентиль времени первого ответа",
                        "mean": "Среднее время первого ответа"},
            "units": "часы",
            "method": "Разность медиан (или 90-х процентилей) времени от создания обращения "
                      "до первого ответа среди отвеченных: сглаженный бутстреп поминутных "
                      "счётчиков с кластеризацией по клиентам; неотвеченные обращения "
                      "посчитаны отдельно"},
        "contact_rate": {
            "label": "Обращения (на 1000 клиентов за 30 дней)",
            "subject": "Частота обращений (на 1000 клиентов за 30 дней)",
            "units": RATE_UNITS["ru"], "delta_units": RATE_UNITS["ru"],
            "method": "Все обращения на клиенто-дни активных клиентов: точный пуассоновский "
                      "критерий или, при сверхдисперсии дневного ряда, квазипуассоновская "
                      "модель с днями недели"},
        "contact_share": {
            "label": "Клиенты, обратившиеся в поддержку (%)",
            "subject": "Доля клиентов, обратившихся в поддержку",
            "units": "% активных клиентов", "delta_units": _PP,
            "method": "Доля клиентов, активных в первый день периода, создавших хотя бы одно "
                      "обращение за первые L дней; разность долей, дисперсия с кластерами по "
                      "клиентам, z-критерий"},
        "repeat_contacts": {
            "label": "Повторные обращения (% обращений)",
            "subject": "Доля повторных обращений",
            "units": "% обращений", "delta_units": _PP,
            "method": "Обращения, за которыми в течение N дней последовало другое обращение "
                      "того же клиента; учитываются только обращения с полными N днями "
                      "наблюдения; дисперсия с кластерами по клиентам, z-критерий"},
        "average_check": {
            "label": "Средний чек, с ограничением",
            "subject": "Средний чек (выручка на заказ, суммы ограничены)",
            "units": "на заказ", "delta_units": "на заказ",
            "method": "Выручка на заказ; суммы заказов ограничены 99,9-м процентилем периода "
                      "до изменения; отношение сумм по клиентам, дисперсия дельта-методом с "
                      "кластерами по клиентам, z-критерий"},
        "average_check_uncapped": {
            "label": "Средний чек, без ограничения",
            "subject": "Средний чек (выручка на заказ, суммы как в данных)",
            "units": "на заказ", "delta_units": "на заказ",
            "method": "Выручка на заказ; отношение сумм по клиентам, дисперсия дельта-методом "
                      "с кластерами по клиентам, z-критерий (тяжёлые хвосты: см. строку с "
                      "ограничением)"},
        "revenue_per_customer": {
            "label": "Выручка на активного клиента (за 30 дней)",
            "subject": "Выручка на активного клиента (за 30 дней, суммы ограничены)",
            "units": "на активного клиента за 30 дней", "delta_units": "на активного клиента за 30 дней",
            "method": "Выручка (суммы ограничены, как для среднего чека) на клиенто-дни "
                      "активных клиентов, × 30; учитываются все активные клиенты, с заказами и "
                      "без; дисперсия дельта-методом с кластерами по клиентам, z-критерий"},
        "orders_per_customer": {
            "label": "Заказы (на 100 активных клиентов за 30 дней)",
            "subject": "Число заказов на 100 активных клиентов (за 30 дней)",
            "units": "на 100 активных клиентов за 30 дней", "delta_units": "на 100 активных клиентов за 30 дней",
            "method": "Заказы на клиенто-дни активных клиентов, × 3000; дисперсия "
                      "дельта-методом с кластерами по клиентам, z-критерий"},
    },
}


def check_lang(lang: str) -> str:
    """``lang`` when the report speaks it; :class:`ValueError` naming the languages."""
    if lang not in MESSAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang


def _decimal(text: str) -> Decimal:
    """The displayed number as a decimal (plural rules read its visible digits)."""
    raw = text.replace(MINUS, "-").replace("\xa0", "").replace("\u202f", "")
    raw = raw.replace(",", "") if "." in raw else raw.replace(",", ".")
    try:
        return abs(Decimal(raw))
    except InvalidOperation:
        return Decimal(0)


def is_time(name: str) -> bool:
    """Whether ``name`` is a time metric (registry units: hours)."""
    spec = REGISTRY.get(name)
    return spec is not None and spec.units == "hours"


def minutes_for(overall: pd.DataFrame) -> frozenset[str]:
    """The time metrics shown in minutes: those whose overall level before and after (the
    rows of ``overall``: ``metric, before, after`` in hours) is under :data:`MINUTES_BELOW`
    hours, so a change of a few minutes does not read as ``0.0 hours``.

    Examples
    --------
    >>> rows = pd.DataFrame({"metric": ["handling_time", "first_response_time", "nps"],
    ...                      "before": [6.9, 0.9, 30.0], "after": [8.0, 0.92, 20.0]})
    >>> sorted(minutes_for(rows))
    ['first_response_time']
    """
    out = set()
    for r in overall.to_dict("records"):
        levels = [float(r["before"]), float(r["after"])]
        if is_time(str(r["metric"])) and all(abs(v) < MINUTES_BELOW for v in levels
                                              if not math.isnan(v)):
            out.add(str(r["metric"]))
    return frozenset(out)


class Text:
    """The words and number formats of one language: ``text(key, **values)``.

    ``minutes``: time metrics shown in minutes rather than hours (:func:`minutes_for`);
    their values are multiplied by :meth:`factor` before they are formatted.
    """

    def __init__(self, lang: str = "en", minutes: frozenset[str] = frozenset()) -> None:
        self.lang = check_lang(lang)
        self.locale = babel.Locale.parse(lang)
        self._messages = MESSAGES[lang]
        self.minutes = minutes

    def with_minutes(self, minutes: frozenset[str]) -> Text:
        """The same language with ``minutes`` shown in minutes."""
        return Text(self.lang, minutes)

    def factor(self, name: str) -> float:
        """From the results' units to the shown ones: 60 for a time shown in minutes."""
        return 60.0 if name in self.minutes else 1.0

    def _time_unit(self, name: str) -> str | None:
        if not is_time(name):
            return None
        return "duration-minute" if name in self.minutes else "duration-hour"

    def __call__(self, key: str, /, **values: Any) -> str:
        msg = self._messages.get(key)
        if msg is None:
            msg = EN[key]
        if not isinstance(msg, str):
            n = values.get("n", 0)
            shown = self.num(n, 0) if isinstance(n, int | float) else str(n)
            msg = self._form(msg, shown)
            values = {**values, "n": shown}
        return msg.format(**values)

    def _form(self, forms: Mapping[str, str], shown: str) -> str:
        category = self.locale.plural_form(_decimal(shown))
        return forms.get(category) or forms["other"]

    # ---------------------------------------------------------------- numbers and dates
    def num(self, value: Any, digits: int = 1, *, sign: bool = False) -> str:
        """A number: the locale's separators, ``digits`` decimals, a true minus sign,
        ``–`` for a missing value; ``sign`` shows ``+`` on positive numbers."""
        if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        text = bnumbers.format_decimal(float(value), format=pattern, locale=self.locale,
                                       decimal_quantization=True)
        if text.lstrip("-").strip("0.,\xa0\u202f ") == "":
            text = text.lstrip("-")  # no "−0.0"
        elif sign and not text.startswith("-"):
            text = "+" + text
        return text.replace("-", MINUS)

    def pct(self, share: Any, digits: int = 0, *, sign: bool = False) -> str:
        """A share as a percentage (``0.047`` → ``4.7%``, ``4,7 %`` in Russian)."""
        if share is None or pd.isna(share):
            return "–"
        pattern = self.locale.percent_formats[None].pattern.replace(
            "#,##0", "#,##0" + ("." + "0" * digits if digits > 0 else ""), 1)
        text = bnumbers.format_percent(float(share), format=pattern, locale=self.locale,
                                       decimal_quantization=True)
        if text.lstrip("-").strip("0.,\xa0\u202f %") == "":
            text = text.lstrip("-")
        elif sign and not text.startswith("-"):
            text = "+" + text
        return text.replace("-", MINUS)

    def p(self, value: Any) -> str:
        """A p-value: three decimals, ``<0.001`` below that."""
        if value is None or pd.isna(value):
            return "–"
        return "<" + self.num(0.001, 3) if float(value) < 0.001 else self.num(value, 3)

    def level(self, alpha: float) -> str:
        """The confidence level of ``alpha``: ``95%``."""
        return self.pct(1 - alpha, 0)

    def date(self, value: dt.date, skeleton: str = "yMMMd") -> str:
        return bdates.format_skeleton(skeleton, value, locale=self.locale)

    def interval(self, start: dt.date, end: dt.date) -> str:
        """Two dates, both included: ``16 Jun – 10 Aug 2025``."""
        return bdates.format_interval(start, end, "yMMMd", locale=self.locale)

    # ---------------------------------------------------------------- metrics
    def _metric(self, name: str, field: str) -> Any:
        return METRIC_TEXT.get(self.lang, {}).get(name, {}).get(field)

    def label(self, name: str) -> str:
        """The metric's label (registry name, then the registry's English label); a time
        shown in minutes says so."""
        own = self._metric(name, "label")
        spec = REGISTRY.get(name)
        label = str(own) if own else (spec.label if spec else name)
        if name in self.minutes:
            return f"{label.split(' (')[0]} ({self.units(name)})"
        return label

    def short_label(self, name: str) -> str:
        """The label without its parenthesised units: ``Churn``."""
        return self.label(name).split(" (")[0]

    def subject(self, name: str, handling_stat: str = "median") -> str:
        own = self._metric(name, "subject")
        if isinstance(own, Mapping):
            own = own.get(handling_stat)
        if own:
            return str(own)
        spec = REGISTRY.get(name)
        return spec.subject(MetricOptions(handling_stat=handling_stat)) if spec else name

    def units(self, name: str) -> str:
        if name in self.minutes:
            return bunits.get_unit_name("duration-minute", length="long",
                                        locale=self.locale) or "minutes"
        own = self._metric(name, "units")
        spec = REGISTRY.get(name)
        if own:
            return str(own)
        unit = spec.units if spec else ""
        known = DEFAULT_UNITS.get(self.lang, {}).get(unit)
        return known if isinstance(known, str) else unit

    def method(self, name: str) -> str:
        own = self._metric(name, "method")
        spec = REGISTRY.get(name)
        return str(own) if own else (spec.method if spec else "")

    def units_after(self, name: str, shown: str) -> str:
        """``shown`` followed by the unit of a change in the right plural form (times:
        Babel's unit patterns)."""
        unit_id = self._time_unit(name)
        if unit_id is not None and shown != "–":
            sign = shown[0] if shown[:1] in ("+", MINUS) else ""
            point = bnumbers.get_decimal_symbol(self.locale)
            digits = len(shown.rsplit(point, 1)[1]) if point in shown else 0
            pattern = "#,##0" + ("." + "0" * digits if digits else "")
            value = _decimal(shown)
            return sign + bunits.format_unit(value, unit_id, length="long", format=pattern,
                                             locale=self.locale).replace("-", MINUS)
        own = self._metric(name, "delta_units")
        if own is None:
            spec = REGISTRY.get(name)
            default = spec.delta_units if spec else ""
            own = DEFAULT_UNITS.get(self.lang, {}).get(default, default)
        unit = self._form(own, shown) if isinstance(own, Mapping) else str(own)
        return f"{shown} {unit}" if unit else shown

    # ---------------------------------------------------------------- cell values
    def status(self, status: str) -> str:
        """A comma-separated status, each flag in words."""
        return ", ".join(self._messages.get(f"status.{s}", EN.get(f"status.{s}", s))  # type: ignore[misc]
                         for s in str(status).split(","))

    def model(self, method: str) -> str:
        """A time-series model id in words (``its_gls_ar2``: regression with AR(2) errors);
        an unknown id as it is."""
        if f"model.{method}" in EN:
            return self(f"model.{method}")
        ar = re.fullmatch(r"its_gls_ar(\d+)", method)
        if ar:
            return self("model.its_gls_ar", p=ar.group(1))
        count = re.fullmatch(r"its_(poisson|quasipoisson)_ar(\d+)", method)
        if count:
            return self("model.its_count_ar", model=self(f"model.count.{count.group(1)}"),
                        p=count.group(2))
        return method

    def comparison(self, comparison: str) -> str:
        key = f"comparison.{comparison}"
        return self(key) if key in EN else comparison.replace("_", " ")

    def correction(self, correction: str) -> str:
        key = f"correction.{correction}"
        return self(key) if key in EN else correction
