from topicstance.ingest.dedup import find_duplicates

STORY = ("Russian forces launched a wave of missile strikes on Kyiv early on Monday, hitting power stations "
         "and leaving large parts of the capital without electricity. Officials said air defences shot down "
         "most of the missiles, but several reached their targets in the southern districts. Repair crews "
         "worked through the day to restore heating as temperatures fell below freezing across the country, "
         "and the mayor urged residents to conserve power during the evening peak.")


def test_exact_duplicate_is_dropped_with_similarity_one():
    assert find_duplicates([STORY, "Other text about football and goals scored.", STORY.upper()]) == [(2, 0, 1.0)]


def test_near_duplicate_above_threshold_is_dropped():
    near = STORY.replace("Monday", "Tuesday")
    (dropped, kept, sim), = find_duplicates([STORY, near])
    assert (dropped, kept) == (1, 0) and 0.8 <= sim < 1.0


def test_rewrite_below_threshold_is_kept():
    rewrite = ("Early on Monday Russia fired missiles at Kyiv. Power stations were hit and much of the city lost "
               "electricity, officials said, adding that most missiles were intercepted.")
    assert find_duplicates([STORY, rewrite]) == []


def test_threshold_is_a_parameter():
    near = STORY.replace("Monday", "Tuesday").replace("freezing", "zero").replace("mayor", "governor")
    assert find_duplicates([STORY, near], threshold=0.99) == []
    assert len(find_duplicates([STORY, near], threshold=0.5)) == 1
