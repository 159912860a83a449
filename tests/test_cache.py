"""The result cache: keyed by models, options and the cleaned text; byte-identical answers."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import pytest

from models import observe, pipeline
from models.cache import MemoryCache, make_cache, make_key
from models.runtime import Runtime

ARTICLE = (
    "Chiều ngày 22/7, Công an Quận 3 họp báo thông tin về vụ việc. Giá xăng dầu tăng mạnh trong tuần qua.\n\n"
    "Ngân hàng Nhà nước quyết định giữ nguyên lãi suất điều hành. Mưa lớn gây ngập nhiều tuyến đường."
)
GEN = pipeline.GenerationOverrides(max_new_tokens=4, num_beams=1)


@pytest.fixture(scope="module")
def runtime(tiny_config) -> Runtime:
    rt = Runtime(replace(tiny_config, cache="memory", cache_size=64)).load()
    yield rt
    rt.close()


def without_timings(result) -> str:
    data = asdict(result)
    data.pop("timings")
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def test_article_resubmitted_is_a_byte_identical_hit(runtime):
    runtime.cache.clear()
    options = pipeline.SummaryOptions(generation=GEN)
    fresh = pipeline.process_article(runtime, ARTICLE, id="a1", summary=options, translate="both", translation=GEN)
    again = pipeline.process_article(runtime, ARTICLE, id="a2", summary=options, translate="both", translation=GEN)
    assert fresh.timings["cache"] == "miss" and again.timings["cache"] == "hit"
    assert again.id == "a2"
    assert without_timings(replace(again, id="a1")) == without_timings(fresh)
    # whitespace and markup noise do not defeat the cache (the key is the cleaned text)
    noisy = "  " + ARTICLE.replace(". ", ".  ") + "\n"
    assert pipeline.process_article(runtime, noisy, summary=options, translate="both",
                                    translation=GEN).timings["cache"] == "hit"


def test_other_options_or_models_miss(runtime):
    runtime.cache.clear()
    first = pipeline.summarize(runtime, ARTICLE, options=pipeline.SummaryOptions(method="extractive", max_sentences=1))
    other = pipeline.summarize(runtime, ARTICLE, options=pipeline.SummaryOptions(method="extractive", max_sentences=2))
    assert (first.timings["cache"], other.timings["cache"]) == ("miss", "miss")
    key = runtime.summary_model.cache_key
    assert runtime.summary_model.revision in key and runtime.summary_model.backend.name in key


def test_translate_caches_each_text(runtime):
    runtime.cache.clear()
    a = pipeline.translate(runtime, ["Giá vàng tăng.", "Hà Nội mưa to."], generation=GEN)
    assert a.timings["cache"] == "miss"
    b = pipeline.translate(runtime, ["Hà Nội mưa to."], generation=GEN)
    assert b.timings["cache"] == "hit" and b.translations == a.translations[1:]
    c = pipeline.translate(runtime, ["Hà Nội mưa to.", "Trời nắng."], generation=GEN)
    assert c.timings["cache"] == "miss" and c.translations[0] == a.translations[1]


def test_cache_off_adds_nothing(tiny_config):
    rt = Runtime(replace(tiny_config, cache="off", load_summary=False, load_translation=False)).load()
    assert rt.cache is None
    result = pipeline.summarize(rt, ARTICLE, options=pipeline.SummaryOptions(method="extractive"))
    assert "cache" not in result.timings


def test_memory_cache_is_a_bounded_lru():
    cache = MemoryCache(size=2)
    cache.put("k:1", {"v": 1})
    cache.put("k:2", {"v": 2})
    assert cache.get("k:1") == {"v": 1}  # 1 is now the most recent
    cache.put("k:3", {"v": 3})
    assert cache.get("k:2") is None and cache.get("k:1") == {"v": 1} and len(cache) == 2


def test_cache_events_reach_observers():
    events = []
    fn = observe.add_observer(lambda event, fields: events.append((event, fields)))
    try:
        cache = MemoryCache(4)
        cache.get(make_key("translate", "x"))
        cache.put(make_key("translate", "x"), {"translation": "y"})
        cache.get(make_key("translate", "x"))
    finally:
        observe.remove_observer(fn)
    assert [(f["result"], f["kind"]) for e, f in events if e == "cache"] == [("miss", "translate"), ("hit", "translate")]


def test_unknown_mode_is_an_error():
    with pytest.raises(ValueError):
        make_cache("redis", 10)


def test_lru_keeps_what_was_used_last_within_its_size():
    from models.cache import Lru

    lru = Lru(10, weigh=len)
    lru.put("a", "xxxx")
    lru.put("b", "xxxx")
    assert lru.get("a") == "xxxx"  # used: now the newest
    lru.put("c", "xxxx")  # 12 > 10: the least recently used ("b") goes
    assert lru.get("b") is None and lru.get("a") == lru.get("c") == "xxxx" and len(lru) == 2
    lru.put("a", "x")  # replaced: its weight is the new one (5 in all), nothing else goes
    assert len(lru) == 2 and lru.get("c") == "xxxx"
    lru.put("d", "xxxx")  # 9 in all: fits only if "a" weighs 1 now, not 1 + its old 4
    assert len(lru) == 3 and lru.get("a") == "x"
    lru.put("big", "x" * 50)  # over the size alone: kept, everything older goes
    assert lru.get("big") and len(lru) == 1
