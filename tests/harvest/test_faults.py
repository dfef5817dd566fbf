"""The harvester against the stand-in's faults: what must be retried is, what must stop the harvest does, and a
page is judged by its content, not its status code alone."""

from __future__ import annotations

import time

import pytest
from warcio.archiveiterator import ArchiveIterator

from harvest.classify import Kind, classify
from harvest.harvester import HarvestOptions, harvest
from harvest.standin import BLOCK_PAGE, ERROR_PAGE, NO_SUCH
from harvest.state import State
from tests.harvest.harvest_helpers import key_of

PRINT_8904 = key_of("SVPrintNLFR_LEG5_NR8904_LANGfr")
OPTIONS = dict(legislatures=(5,), numbers=(8904, 8904), delay=0, timeout=0.5, retries=2, backoff=0.01)


def run(site, folder, **changes):
    return harvest(folder, HarvestOptions(site=site.url, **{**OPTIONS, **changes}), "0.1.0")


def statuses(folder) -> list[tuple[str, int]]:
    found = []
    for warc in sorted(folder.glob("*.warc.gz")):
        with warc.open("rb") as fh:
            found += [(r.rec_headers.get_header("WARC-Target-URI"), int(r.http_headers.get_statuscode()))
                      for r in ArchiveIterator(fh) if r.rec_type == "response"]
    return found


@pytest.mark.parametrize("faults", [("429",), ("503",), ("500", "503"), ("slow",), ("reset",), ("short",)])
def test_transient_faults_are_retried_and_the_page_is_got(sample_site, tmp_path, faults):
    sample_site.fault(PRINT_8904, *faults)
    report = run(sample_site, tmp_path)
    assert (report.new, report.failed) == (1, 0)
    assert statuses(tmp_path)[-1][1] == 200


def test_retry_after_is_honoured(sample_site, tmp_path):
    sample_site.retry_after = 1
    sample_site.fault(PRINT_8904, "429")
    started = time.monotonic()
    run(sample_site, tmp_path)
    assert time.monotonic() - started >= 1.0
    assert [s for _, s in statuses(tmp_path)][-2:] == [429, 200]  # the 429 is archived too


def test_a_url_failing_every_attempt_is_recorded_failed_and_the_harvest_goes_on(sample_site, tmp_path):
    sample_site.fault(PRINT_8904, "500", "500", "500")
    report = run(sample_site, tmp_path, numbers=(8904, 8905))
    assert (report.failed, report.new) == (1, 1)  # 8904 failed (no detail pages to fall back to), 8905 got
    state = State(tmp_path, lock=False)
    assert state.url(sample_site.url + "www/?MIval=/Vragen/SVPrintNLFR&LEG=5&NR=8904&LANG=fr").kind == "failed"
    state.close()


def test_an_error_page_with_status_200_falls_back_to_the_detail_pages(sample_site, tmp_path):
    sample_site.fault(key_of("SVPrintNLFR_LEG5_NR8904_LANGfr"), "error200")
    report = run(sample_site, tmp_path)
    assert report.failed == 1  # 5-8904 has no detail pages on the stand-in: reported, not silently dropped
    assert len(sample_site.requests_for(5, 8904)) == 3


def test_a_run_of_block_pages_stops_the_harvest(sample_site, tmp_path):
    from harvest.harvester import CannotWork

    sample_site.fault("*", "block", "block", "block", "block", "block", "block")
    with pytest.raises(CannotWork, match="block or challenge page"):
        run(sample_site, tmp_path, numbers=(8900, 8916))
    assert len([p for p in sample_site.log if "MIval" in p]) == 3  # never a flood of retries


def test_a_frameset_is_followed_to_its_content_frame(sample_site, tmp_path):
    sample_site.fault(PRINT_8904, "frameset")
    report = run(sample_site, tmp_path)
    assert report.new == 1 and any("/www/frames/" in p for p in sample_site.log)


def test_conditional_get_and_identical_bytes_are_unchanged(sample_site, tmp_path):
    run(sample_site, tmp_path, numbers=(8900, 8901))
    report = run(sample_site, tmp_path, numbers=(8900, 8901), refresh_after=0)
    assert (report.new, report.changed, report.unchanged) == (0, 0, 2)
    assert [s for _, s in statuses(tmp_path)].count(304) == 3  # the detail pages of 8900 (fr, nl), 8901 (nl)


def test_user_agent_names_the_tool_its_version_and_the_contact(sample_site, tmp_path, monkeypatch):
    seen = []
    from harvest import client

    original = client.Client._attempt

    def spy(self, url, headers):
        seen.append(headers["User-Agent"])
        return original(self, url, headers)

    monkeypatch.setattr(client.Client, "_attempt", spy)
    run(sample_site, tmp_path, contact="ops@example.org")
    assert seen and all("senate-kg/0.1.0" in ua and "ops@example.org" in ua for ua in seen)


@pytest.mark.parametrize(("body", "status", "kind"), [(NO_SUCH, 200, Kind.MISSING), (ERROR_PAGE, 200, Kind.ERROR),
                                                      (BLOCK_PAGE, 200, Kind.BLOCKED), ("", 403, Kind.BLOCKED)])
def test_classification_reads_the_content(body, status, kind):
    assert classify(body.encode(), status, 5, 8900).kind is kind
