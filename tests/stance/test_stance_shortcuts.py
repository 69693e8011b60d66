from topicstance.stance import shortcuts


def test_kind_shortcut_reads_claims_as_pro_kremlin_and_debunks_as_against_russia():
    got = shortcuts.predict("kind", ["propaganda_diary"] * 4, ["claim", "claim", "debunk", "debunk"],
                            ["Russia", "ukraine", "Russia", "Ukraine"])
    assert got.tolist() == ["FAVOR", "AGAINST", "AGAINST", "NONE"]


def test_side_shortcut_reads_each_release_as_its_publisher_s_side():
    got = shortcuts.predict("side", ["kremlin", "kremlin", "president_of_ukraine", "president_of_ukraine"],
                            ["", "", "", ""], ["Russia", "Ukraine", "Russia", "Ukraine"])
    assert got.tolist() == ["FAVOR", "NONE", "AGAINST", "FAVOR"]
    assert shortcuts.applies("side", ["kremlin", "seed"]).tolist() == [True, False]
