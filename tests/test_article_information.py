"""The article information under the review's title: from the config, never a placeholder."""

import yaml

import report_helpers as rh
from conftest import REPO

LICENCES = {"data": "CC BY", "code": "MIT licence", "text": "CC BY"}
EMPTY = {"authors": [], "funding": "", "conflicts_of_interest": "", "repository": "", "data_freeze": "2026-12-02"}


def test_without_declarations_the_block_says_not_declared_and_never_placeholder():
    block = rh.article_information(EMPTY, "0.1.0", LICENCES)
    assert "**Authors:** not declared in this version" in block
    assert "**Funding:** not declared." in block and "**Conflicts of interest:** not declared." in block
    assert "frozen on 2026\\-12\\-02" in block and "placeholder" not in block.lower()


def test_declared_authors_show_affiliation_orcid_and_the_corresponding_author():
    review = {**EMPTY, "funding": "None.", "repository": "https://example.org/review",
              "authors": [{"name": "A Author", "affiliation": "Paediatric Rheumatology, Somewhere",
                           "orcid": "0000-0002-1825-0097", "email": "a@example.org", "corresponding": True},
                          {"name": "B Author"}]}
    block = rh.article_information(review, "1.2.0", LICENCES)
    assert "**Authors:** A Author (Paediatric Rheumatology, Somewhere), ORCID [0000-0002-1825-0097]" in block
    assert "; B Author." in block
    assert "**Corresponding author:** A Author, <a@example.org>." in block
    assert "<https://example.org/review>" in block and "**Version:** 1\\.2\\.0" in block


def test_the_config_declares_the_review_block_and_the_review_has_no_placeholder():
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    assert set(config["review"]) == set(EMPTY)
    assert "placeholder" not in (REPO / "report" / "review.qmd").read_text(encoding="utf-8").lower()
