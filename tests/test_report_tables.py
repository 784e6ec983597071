"""The review's Markdown tables: column widths that keep every word inside its column, and wrappable ids."""

import pandas as pd

import report_helpers as rh


def test_every_column_is_at_least_as_wide_as_its_longest_word():
    rows = [["Trial", "Drug", "Analysis", "Background therapy"],
            ["De Benedetti 2012", "tocilizumab", "Primary analysis", "glucocorticoids; methotrexate; NSAIDs"],
            ["Quartier 2011", "anakinra", "Secondary-source comparison", "glucocorticoids (implied by the end point) "
             "and a long description that wants much more room than the others"]]
    widths = rh.column_widths(rows)
    shares = [w / sum(widths) for w in widths]
    for column, share in zip(zip(*rows), shares):
        longest_word = max(len(word) for cell in column for word in cell.split())
        # at the table's full width, the column's share of the line holds its longest word
        assert share * rh.TABLE_LINE_CHARACTERS >= longest_word, (column[0], share)
    assert widths[3] == max(widths)  # the room left over goes to the column with the most text


def test_long_file_names_may_wrap_after_underscores_and_are_sized_by_their_parts():
    table = pd.DataFrame({"source": ["UNKNOWNAUTHOR2021_canakinumab_Italian_realworld_cohort.txt"], "n": ["80"]})
    markdown = rh.markdown_table(table, {"source": "Source", "n": "n"})
    assert "UNKNOWNAUTHOR2021\\_\u200bcanakinumab\\_\u200bItalian" in markdown
    name = rh.visible_text(rh.breakable(rh.escape(table["source"][0])))
    widths = rh.column_widths([["Source", "Reason"], [name, "a reason " * 40]])
    # when another column needs the room, the name keeps only its longest part's width, not its whole length
    assert widths[0] < len(table["source"][0])
    assert widths[0] >= len("UNKNOWNAUTHOR2021_") + rh.CELL_PADDING_CHARACTERS


def test_a_linked_cell_is_sized_by_the_text_it_shows_not_by_its_link():
    assert rh.visible_text("[64/75](#claim-33){.claim}") == "64/75"
    assert rh.visible_text("18\\.1 [@debenedetti2012]") == "18.1 [1]"
