"""Discovery reads entry points with their distribution, and imports nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from redis_module_helpers import BROKEN, GOOD

from ferrite_host.redis_module.discovery import GROUP, discover


def test_finds_every_fixture_with_its_distribution(fx_path: Path) -> None:
    found = discover()
    for name in GOOD + BROKEN:
        candidate = found.get(name)
        assert candidate is not None, name
        assert candidate.dist_name == name.replace("_", "-")
        assert candidate.dist_version == "0.1.0"
        assert candidate.distribution == f"{candidate.dist_name} 0.1.0"
    custom = found.get("fx_custom_type")
    assert custom is not None
    assert custom.value == "fx_custom_type:plugin"
    assert custom.path == "ferrite.modules:fx_custom_type = fx_custom_type:plugin"
    assert found.get("fx_good").path == "ferrite.modules:fx_good = fx_good"  # type: ignore[union-attr]
    names = list(found.candidates)
    assert names == sorted(names)


def test_does_not_import(fx_path: Path) -> None:
    sys.modules.pop("fx_broken_import", None)
    sys.modules.pop("fx_onload_err", None)
    discover()
    assert "fx_broken_import" not in sys.modules
    assert "fx_onload_err" not in sys.modules


def test_nothing_found_outside_the_fixture_path(fx_site: Path) -> None:
    assert str(fx_site) not in sys.path
    assert discover().get("fx_good") is None


def _fake_dist(root: Path, dist: str, entry_points: str) -> None:
    info = root / f"{dist.replace('-', '_')}-9.9.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 9.9\n")
    (info / "entry_points.txt").write_text(entry_points)


def test_duplicate_entry_point_names_first_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _fake_dist(first, "dup-one", f"[{GROUP}]\ndupmod = dup_one\n")
    _fake_dist(second, "dup-two", f"[{GROUP}]\ndupmod = dup_two:obj\n")
    monkeypatch.syspath_prepend(str(second))
    monkeypatch.syspath_prepend(str(first))
    found = discover()
    kept = found.get("dupmod")
    assert kept is not None and kept.dist_name == "dup-one"
    assert [(d.dist_name, k.dist_name) for d, k in found.duplicates] == [("dup-two", "dup-one")]


def test_other_groups_are_separate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dist(tmp_path, "grouped", "[my.group]\nthing = some_module\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert discover().get("thing") is None
    thing = discover("my.group").get("thing")
    assert thing is not None and thing.path == "my.group:thing = some_module"
