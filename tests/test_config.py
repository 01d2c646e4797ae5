"""Settings come from ROUTEPLANNER_* variables, with safe defaults."""

from pathlib import Path

from routeplanner.config import Settings, default_instance_dir


def test_defaults_without_environment():
    s = Settings.from_env({})
    assert s.database_url is None and s.load_sample and s.solve_workers == 1
    assert len(s.secret_key) >= 32


def test_values_from_environment():
    s = Settings.from_env(
        {
            "ROUTEPLANNER_DATABASE_URL": "postgresql+psycopg://u@localhost/rp",
            "ROUTEPLANNER_LOAD_SAMPLE": "no",
            "ROUTEPLANNER_SOLVE_WORKERS": "2",
            "ROUTEPLANNER_SECRET_KEY": "k",
        }
    )
    assert s.database_url.startswith("postgresql")
    assert not s.load_sample and s.solve_workers == 2 and s.secret_key == "k"


def test_map_tiles():
    assert Settings.from_env({}).map_tiles == "OpenStreetMap"
    assert Settings.from_env({"ROUTEPLANNER_MAP_TILES": " OpenTopoMap "}).map_tiles == "OpenTopoMap"
    for off in ("none", "None", "off", "0"):
        assert Settings.from_env({"ROUTEPLANNER_MAP_TILES": off}).map_tiles is None


def test_the_default_database_is_sqlite_in_the_instance_folder_flask_uses():
    from flask import Flask

    s = Settings.from_env({})
    assert Path(s.instance_dir) == default_instance_dir() == Path(Flask("routeplanner.web").instance_path)
    assert s.database() == "sqlite:///" + str(default_instance_dir() / "routeplanner.sqlite")
    moved = Settings.from_env({"ROUTEPLANNER_INSTANCE_DIR": "/srv/rp"})
    assert moved.database() == "sqlite:////srv/rp/routeplanner.sqlite"
    assert Settings.from_env({"ROUTEPLANNER_DATABASE_URL": "sqlite:///x.db"}).database() == "sqlite:///x.db"
