import numpy as np

from topicstance.embed.cache import EmbeddingCache, cache_key


def test_round_trip_and_misses(tmp_path):
    c = EmbeddingCache(tmp_path / "c.sqlite")
    v = np.arange(4, dtype=np.float32)
    c.put_many([("k1", v)])
    got = c.get_many(["k1", "k2"])
    assert list(got) == ["k1"] and np.array_equal(got["k1"], v)
    assert c.integrity_ok()


def test_key_depends_on_config_and_text():
    assert cache_key("cfg", "a") != cache_key("cfg", "b")
    assert cache_key("cfg1", "a") != cache_key("cfg2", "a")
    assert cache_key("cfg", "a") == cache_key("cfg", "a")


def test_disabled_cache_stores_nothing():
    c = EmbeddingCache(None)
    c.put_many([("k", np.zeros(3, dtype=np.float32))])
    assert c.get_many(["k"]) == {} and len(c) == 0
