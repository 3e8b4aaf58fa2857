"""The community safety atlas: one offline HTML file with a map, a ranked chart, an area panel,
a victim/offender pyramid and the data table, for a partnership's wards and LSOAs.

:mod:`commsafe.atlas.data` builds the **payload** (a JSON-able dict, disclosure control already
applied: a suppressed value is not in the file at all, only its mark) from the store;
:mod:`commsafe.atlas.page` writes it into ``templates/atlas.html.j2`` with the script and
styles inlined. The browser computes no statistics: every value, rank, change and
significance word is in the payload.

Payload (``version`` 1)::

    meta:       title, subtitle, area {code, name, level}, data_to ("December 2024"),
                source, disclosure (rule text), notes [str], synthetic (bool)
    levels:     {"ward": L, "lsoa": L}  (one or both), where L =
                {label: "Wards", view_box: [x, y, w, h] (SVG user units: metres east, north
                 negated), areas: [{code, name, district, district_name, path}]}
                ``path`` is an SVG path ("M x y L ... Z", several rings allowed)
    outline:    [{code, name, path}]  district boundaries, same coordinates
    periods:    [{id, label}]  oldest first; values exist per period
    indicators: [{id, label, group}]  group: "Crime" | "ASB" | partner data set title
    measures:   [{id: "count"|"rate"|"change", label, unit}]  ("change" = % change on the
                previous period of the same kind, with its significance)
    values:     {level: {indicator: {period: V}}}, V =
                {count: [int|null], rate: [float|null], change: [int|null] (percent),
                 change_words: [str|null] ("significant increase", "no significant change"…),
                 rank: [int|null] (1 = highest rate, else highest count),
                 marks: {str(index): "<5" | "[c]"}}   arrays in the level's area order;
                a suppressed count is null with its mark; a rate/change derived from it too
    monthly:    {level: {indicator: {months: ["2024-01", …], counts: [[int|null]…] }}}
                counts[i] is area i's series (null: suppressed or no data)
    pyramids:   null, or {bands: ["0-4", …, "90+"], groups: [{id, name}] (first: the whole
                area), data: {group id: {victims: {male: [..], female: [..]},
                offenders: {...}}}, value: "count", source}
"""
