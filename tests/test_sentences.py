from topicstance.sentences import split_sentences


def _split(t):
    return [t[a:b] for a, b in split_sentences(t)]


def test_splits_on_terminal_punctuation():
    assert _split("One here. Two there! Three?") == ["One here.", "Two there!", "Three?"]


def test_abbreviations_and_initials_do_not_split():
    t = "Mr. Blinken met Gen. Milley in Washington D.C. on Monday. J. Smith said so."
    assert _split(t) == ["Mr. Blinken met Gen. Milley in Washington D.C. on Monday.", "J. Smith said so."]


def test_closing_quotes_stay_with_their_sentence():
    assert _split("“We will win.” Austin said it twice.") == ["“We will win.”", "Austin said it twice."]


def test_decimals_do_not_split_and_line_breaks_do():
    assert _split("It rose 3.5 percent\nA new line") == ["It rose 3.5 percent", "A new line"]


def test_lowercase_continuation_does_not_split():
    assert _split("He said no. and left") == ["He said no. and left"]
