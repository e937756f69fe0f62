"""Shared fixtures: the real bundled dataset, a way to write variations of it, and a real PostgreSQL+PostGIS."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pytest

from geo.events.dataset import read_json
from geo.io.events_file import load_events
from geo.reference.places import load_places
from perf.appserver import free_port
from tests.postgres import Cluster, missing_reason, start_cluster

if TYPE_CHECKING:  # Playwright is imported only by the tests that drive a browser (tests/browser.py)
    from playwright.sync_api import Browser

    from tests.browser import Session

ROOT = Path(__file__).resolve().parent.parent
EVENTS_PATH = ROOT / "data" / "events.geojson"


# --- The fast lane: `pytest -m "not slow"` ------------------------------------------------------------------
# A test is slow when it starts a server, a browser, AppTest or PostgreSQL, or is slow on its own (over half
# a second, measured with the machine's two cores shared). tests/test_fast_lane.py reads every test's source
# and fails when one that starts any of those is not marked here, or when a name listed here no longer exists.

# Fixtures that start something slow: a test using one (directly or through another fixture) is slow.
SLOW_FIXTURES = {
    "browser": "drives a browser",
    "open_session": "drives a browser",
    "postgres": "starts PostgreSQL",
}
# Modules whose tests (all, or all but a few) start a server, a browser or AppTest.
SLOW_MODULES = {
    "test_browser": "a browser against `streamlit run`",
    "test_serve": "a browser against two `streamlit run` servers behind nginx",
    "test_streamlit_server": "starts `streamlit run`",
    "test_browser_bench": "the browser benchmark",
    "test_dashboard": "AppTest",
    "test_dashboard_story": "a browser against `streamlit run`",
    "test_dashboard_view_browser": "a browser against `streamlit run`",
    "test_downloads_browser": "a browser against `streamlit run`",
    "test_geopack_browser": "a browser",
    "test_loadtest": "the load test against `streamlit run`",
    "test_methodology": "AppTest (all but two)",
    "test_review": "AppTest",
    "test_review_browser": "a browser against `streamlit run`",
    "test_review_import_browser": "a browser against `streamlit run`",
    "test_review_postgis": "AppTest on PostgreSQL",
    "test_security": "AppTest, and a browser against `streamlit run`",
    "test_signin": "`streamlit run` and its websocket",
    "test_store_postgis": "PostgreSQL",
    "test_teams_browser": "a browser against two `streamlit run` servers on PostgreSQL",
    "test_upload_limits": "a browser against `streamlit run`",
    "test_viewcontrol": "a browser",
    # Pure, but most of their tests run `python -m geo` or other child processes, or write large files:
    "test_budget": "child processes under a deadline",
    "test_cli": "`python -m geo` in a child process",
    "test_crash_safety": "writers killed at random moments",
    "test_credentials": "`python -m geo` against unreachable databases, and PostgreSQL",
    "test_fuzz": "hypothesis over the real dataset",
    "test_io_acled": "`python -m geo import-acled` in a child process",
    "test_io_downloads": "20,000 synthetic events in every download format",
    "test_io_export": "exports of synthetic events, and `python -m geo export`",
    "test_io_table": "`python -m geo import-table` in a child process",
    "test_prepared": "prepared files of synthetic events, and hostile GeoParquet in child processes",
}
# Single tests that start a server or AppTest in otherwise fast modules: module -> {test function: why}.
SLOW_TESTS: dict[str, dict[str, str]] = {
    "test_appserver": {"test_a_real_streamlit_server_is_healthy_within_a_minute": "`streamlit run`"},
    "test_changelog": {
        "test_a_bad_change_log_line_is_the_dashboards_warning_and_the_map_keeps_working": "AppTest",
        "test_a_log_line_that_is_not_utf8_is_the_dashboards_warning_too": "AppTest",
    },
    "test_malformed": {"test_the_dashboard_shows_the_problems_not_a_traceback": "AppTest"},
}
ALONE = "slow on its own (over 0.5 s, measured with the 2 cores shared)"
# Pure tests that are slow on their own (child processes, big inputs, timing under load): module -> functions.
# The guards tests/test_fast_lane.py and tests/test_house_rules.py stay in the fast lane however long they take.
SLOW_ALONE: dict[str, tuple[str, ...]] = {
    "test_appserver": (
        "test_a_server_that_never_answers_is_reported_once_the_time_runs_out",
    ),
    "test_assets": (
        "test_check_command_exits_one_naming_the_modified_file",
        "test_every_own_script_is_valid_javascript",
        "test_own_scripts_pass_eslint",
    ),
    "test_base": (
        "test_the_base_map_needs_no_tile_server_and_labels_the_seed_places",
        "test_the_map_offers_a_border_button_fitted_to_the_border_line",
    ),
    "test_basemap": (
        "test_basemap_layer_is_a_background_outside_the_layer_control",
        "test_build_script_reproduces_the_committed_basemap_byte_for_byte",
        "test_every_place_an_event_points_at_lies_on_the_basemaps_land",
    ),
    "test_bench": (
        "test_bench_command_prints_a_table_then_one_json_object",
        "test_bench_command_refuses_bad_sizes",
        "test_naive_map_sends_more_bytes_per_feature_than_the_compact_layer",
    ),
    "test_candidates": (
        "test_a_200kb_sentence_with_no_period_is_read_in_under_two_seconds",
        "test_other_pathological_articles_are_read_in_under_two_seconds",
        "test_candidates_within_gives_what_reading_in_process_gives",
    ),
    "test_canvas": (
        "test_a_rerun_sends_a_mask_group_of_one_bit_per_event_and_the_same_mask_renders_the_same",
    ),
    "test_changelog": (
        "test_a_bad_change_log_line_raises_one_error_naming_the_file_the_line_and_the_field",
        "test_history_prints_a_bad_line_as_one_line_without_a_traceback",
        "test_any_json_value_in_any_field_is_read_as_a_well_typed_change_or_refused_in_one_line",
        "test_a_real_history_of_appends_attachments_reverts_and_re_reverts_passes_the_check",
        "test_an_entry_crafted_to_put_back_events_the_dataset_never_held_is_refused",
        "test_python_m_geo_revert_refuses_a_crafted_entry_in_one_line_and_changes_nothing",
    ),
    "test_charts": (
        "test_both_timeline_specs_are_valid_vega_lite_and_plain_json_even_with_missing_values",
    ),
    "test_docs": (
        "test_every_geo_command_shown_exists_with_the_flags_shown",
    ),
    "test_editors": (
        "test_an_added_editor_is_listed_and_a_removed_one_is_not",
        "test_adding_an_existing_editor_replaces_the_password_and_keeps_the_added_time",
        "test_setting_a_password_clears_the_names_lockout",
        "test_the_files_are_private_and_hold_no_plaintext_password",
        "test_a_second_process_sees_the_lockout_written_by_the_first",
        "test_a_right_password_counts_as_no_failure_of_its_address",
        "test_the_failures_file_keeps_at_most_max_tracked_keys_dropping_the_least_recently_active",
        "test_a_third_attempt_while_two_checks_run_is_refused_as_busy_and_not_counted",
        "test_a_credential_ends_when_the_password_is_set_again_even_to_the_same_one",
        "test_a_second_process_removing_the_editor_ends_the_credential",
    ),
    "test_evaluation": (
        "test_a_broken_labelled_article_gives_one_line_naming_the_file_not_a_traceback",
    ),
    "test_folium_parts": (
        "test_streamlit_folium_draws_ready_made_layers_exactly_as_the_same_folium_layers",
    ),
    "test_gazetteer": (
        "test_the_gazetteer_file_is_exactly_what_its_build_script_writes",
        "test_a_long_run_of_chinese_and_korean_is_searched_in_under_two_seconds",
        "test_a_cjk_substring_is_never_longer_than_the_longest_cjk_name",
        "test_a_place_named_twenty_thousand_times_is_found_each_time_in_under_two_seconds",
        "test_ten_thousand_unknown_capitalised_words_are_searched_in_under_two_seconds",
    ),
    "test_geography": (
        "test_the_towns_file_is_exactly_what_its_build_script_writes",
        "test_the_vectorised_countries_and_route_provinces_equal_a_row_by_row_reference",
    ),
    "test_geoparquet": (
        "test_a_parquet_file_is_several_times_smaller_than_its_geojson",
        "test_a_dictionary_bomb_is_refused_in_one_line_before_its_memory_is_spent",
        "test_a_column_in_an_encoding_whose_decoded_size_is_unknowable_is_refused_by_name",
        "test_a_json_cell_nested_200000_deep_is_one_problem_naming_the_feature_and_the_field",
        "test_malformed_geoparquet_metadata_is_one_problem_naming_the_file_and_the_field",
        "test_malformed_metadata_through_the_command_line_is_one_line_without_a_traceback",
    ),
    "test_io_events_file": (
        "test_load_events_and_validate_file_read_geoparquet_by_its_suffix",
    ),
    "test_io_geojson": (
        "test_truncated_and_mutated_files_get_the_same_problems_streamed_as_read_whole",
        "test_streaming_memory_does_not_grow_with_the_number_of_features",
    ),
    "test_io_sheet": (
        "test_every_hostile_upload_answers_in_one_line_within_10_s_and_grows_the_caller_by_less_than_100_mb",
        "test_an_upload_reads_and_imports_exactly_as_the_same_sheet_read_here",
        "test_more_uploads_at_once_than_the_server_reads_are_refused_at_once_asking_to_try_again",
        "test_an_upload_of_almost_1_mb_is_read_while_the_page_keeps_asking_whether_anyone_still_waits",
        "test_the_command_line_refuses_every_hostile_sheet_in_one_line_quickly_with_bounded_memory",
        "test_python_m_geo_import_table_and_import_acled_print_one_line_and_exit_1_for_a_hostile_sheet",
    ),
    "test_loaded": (
        "test_each_store_stamp_is_one_shared_entry_and_a_write_makes_a_new_one",
        "test_a_points_pack_that_has_gone_is_written_again",
    ),
    "test_malformed": (
        "test_validate_exits_1_with_one_line_per_problem_each_naming_the_file_and_a_field",
        "test_the_real_cli_checks_the_whole_corpus_in_one_cold_run_without_a_traceback",
        "test_the_field_named_is_the_one_the_readme_documents",  # shares the module's `python -m geo validate` run
    ),
    "test_mapview": (
        "test_the_live_map_from_ready_made_scripts_draws_exactly_what_the_export_of_the_same_view_draws",
        "test_the_live_map_masks_the_served_pack_to_exactly_the_rows_the_export_of_the_view_draws",
    ),
    "test_places": (
        "test_towns_carry_their_geonames_id_and_match_it",
    ),
    "test_schema": (
        "test_every_text_field_refuses_each_bidirectional_control_character_in_one_line",
        "test_nesting_found_on_json_text_is_the_nesting_of_its_value_whatever_brackets_its_strings_hold",
    ),
    "test_seeds": (
        "test_a_seed_past_a_file_size_limit_is_refused_in_one_line_and_nothing_of_it_is_left",
    ),
    "test_store_file": (
        "test_only_the_last_twenty_changes_keep_a_backup_and_the_latest_can_still_be_reverted",
    ),
}


def slow_reason(module: str, test: str, fixtures: Iterable[str], params: Mapping[str, Any]) -> str | None:
    """Why the test `test` (its function's name) in tests/`module`.py, using `fixtures` (pytest's closure)
    with parameters `params`, belongs in the slow lane; None when it is fast."""
    if module in SLOW_MODULES:
        return SLOW_MODULES[module]
    if test in SLOW_TESTS.get(module, {}):
        return SLOW_TESTS[module][test]
    if test in SLOW_ALONE.get(module, ()):
        return ALONE
    used = [SLOW_FIXTURES[name] for name in sorted(set(fixtures) & set(SLOW_FIXTURES))]
    if used:
        return used[0]
    if "make_dataset" in fixtures and "postgis" in params.values():  # make_dataset starts PostgreSQL for it
        return "starts PostgreSQL"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tests `slow` (see slow_reason)."""
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        callspec = getattr(item, "callspec", None)
        reason = slow_reason(item.module.__name__.rpartition(".")[2], item.originalname, item.fixturenames,
                             callspec.params if callspec else {})
        if reason:
            item.add_marker(pytest.mark.slow(reason=reason))


@pytest.fixture(scope="session")
def events() -> gpd.GeoDataFrame:
    """The curated dataset exactly as the app loads it."""
    return load_events(EVENTS_PATH)


@pytest.fixture(scope="session")
def places() -> gpd.GeoDataFrame:
    return load_places()


@pytest.fixture
def collection() -> dict[str, Any]:
    """A fresh, mutable copy of the curated dataset's JSON."""
    return copy.deepcopy(read_json(EVENTS_PATH))


@pytest.fixture
def write_json(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Write any JSON value (or raw text) to a file in tmp_path and return its path."""

    def write(data: Any, name: str = "events.geojson") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (tests/browser.py), one per test module."""
    from tests.browser import launch_browser

    yield from launch_browser()


@pytest.fixture
def open_session(browser: Browser) -> Iterator[Callable[[Callable[[str], bool]], Session]]:
    """Open fresh browser contexts (so fresh Streamlit sessions) that let through only URLs `allowed`
    accepts; each records blocked requests and JavaScript errors."""
    from tests.browser import session_factory

    yield from session_factory(browser)


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every child process geo.budget.run_with_deadline starts during the test (real processes, recorded)."""
    import subprocess

    from geo import budget

    started: list[subprocess.Popen] = []

    class Recorded(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(budget.subprocess, "Popen", Recorded)
    return started


def most_children_at_once(threads: list, children: list) -> int:
    """Start `threads` and wait for them all; the most of the recorded `children` (the fixture) running at once."""
    import time

    for thread in threads:
        thread.start()
    most = 0
    while any(thread.is_alive() for thread in threads):
        most = max(most, sum(child.poll() is None for child in list(children)))
        time.sleep(0.005)
    return most


POSTGIS_REQUIRED_ENV = "BORDER_POSTGIS_REQUIRED"  # scripts/test sets it where it installed the server itself
_databases = iter(range(1, 1_000_000))


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """A throwaway PostgreSQL+PostGIS cluster (tests/postgres.py) for the whole test session, stopped and
    removed afterwards. Skips, saying why, only where the server is not installed and scripts/test did not
    install it; where scripts/test installed it, a missing server fails."""
    import os

    reason = missing_reason()
    if reason:
        if os.environ.get(POSTGIS_REQUIRED_ENV):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    cluster = start_cluster(free_port())
    yield cluster
    cluster.stop()


@pytest.fixture
def postgis_url(postgres: Cluster) -> str:
    """The URL (password included) of a new, empty database with PostGIS, tables not yet created."""
    return postgres.create_database(f"test_{next(_databases)}")


@pytest.fixture
def make_dataset(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str, dict[str, Any]], str | Path]:
    """Make a dataset holding `collection` on an engine: "file" (a GeoJSON file in tmp_path) or "postgis"
    (a new database, `db init` and `db import`); returns its spec (path or URL)."""
    from geo.store import encode
    from geo.store.postgis import PostgisStore

    def make(engine: str, collection: dict[str, Any]) -> str | Path:
        if engine == "file":
            path = tmp_path / f"events-{next(_databases)}.geojson"
            path.write_bytes(encode(collection))
            return path
        url = request.getfixturevalue("postgres").create_database(f"test_{next(_databases)}")
        store = PostgisStore(url)
        store.init()
        store.import_collection(collection)
        return url

    return make
