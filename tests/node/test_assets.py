"""node/assets.py: the asset folders beside the code win; else the installed ones; else a clear error."""

from pathlib import Path

import pytest

from node import assets


def test_a_checkout_uses_the_folders_beside_the_code() -> None:
    for name in assets.ASSET_FOLDERS:
        assert assets.asset_dir(name) == assets.BESIDE_THE_CODE / name


def test_without_a_checkout_the_installed_folder_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assets, "BESIDE_THE_CODE", tmp_path / "site-packages")
    installed = tmp_path / "share" / "maillage"
    (installed / "static").mkdir(parents=True)
    monkeypatch.setattr(assets, "installed_data_roots", lambda: [tmp_path / "user", installed])
    assert assets.asset_dir("static") == installed / "static"


def test_a_folder_found_nowhere_says_where_it_was_looked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assets, "BESIDE_THE_CODE", tmp_path / "site-packages")
    monkeypatch.setattr(assets, "installed_data_roots", lambda: [tmp_path / "share" / "maillage"])
    with pytest.raises(assets.MissingAssets) as caught:
        assets.asset_dir("templates")
    message = str(caught.value)
    assert str(tmp_path / "site-packages" / "templates") in message
    assert str(tmp_path / "share" / "maillage" / "templates") in message
    assert "pip install" in message


def test_only_the_known_folders_are_asked_for() -> None:
    with pytest.raises(ValueError):
        assets.asset_dir("../etc")

