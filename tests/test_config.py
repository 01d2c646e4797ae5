"""Settings come from ROUTEPLANNER_* variables, with safe defaults."""

from routeplanner.config import Settings


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
