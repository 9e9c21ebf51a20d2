"""The Open Contracting Partnership's own tools accept every OCDS package of the demo:
libcoveocds (the Data Review Tool's library) reports no error and no warning, and `ocdskit
compile` compiles the releases into the records' compiled releases. Both run offline on the
files vendored in tests/data (tests/ocds_offline.py)."""

import datetime as dt
import json
import re
import tempfile

import ocdskit.combine
import pytest
import sqlalchemy as sa
from libcoveocds.api import ocds_json_output
from libcoveocds.config import LibCoveOCDSConfig

from govtech.challenges.models import Challenge, ChallengeStatus
from govtech.transparency import ocds
from tests.ocds_offline import EXTENSION_FOLDERS, offline, patched_release_schema, standard_zip

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


@pytest.fixture
def demo(runner, db):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    return db.session.scalars(sa.select(Challenge).order_by(Challenge.id)).all()


def _pages(client, url):
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        package = response.get_json()
        yield url, package
        url = package.get("links", {}).get("next")


@pytest.fixture
def packages(client, demo):
    """Every package the demo publishes: each public challenge's, and every page of the
    releases and of the records, by URL."""
    out = {}
    for challenge in demo:
        if challenge.status is not ChallengeStatus.DRAFT:
            url = f"/challenges/{challenge.id}/ocds.json"
            response = client.get(url)
            assert response.status_code == 200
            out[url] = response.get_json()
    for url in ("/ocds/releases.json", "/ocds/records.json"):
        out.update(_pages(client, url))
    assert len(out) >= 3
    return out


def _cove(package, monkeypatch):
    config = LibCoveOCDSConfig(
        {"context": "api", "standard_zip": standard_zip(), "additional_checks": "all"}
    )
    with offline(monkeypatch) as files, tempfile.TemporaryDirectory() as output:
        context = ocds_json_output(output, json_data=package, lib_cove_ocds_config=config)
    return context, files.served


def test_libcoveocds_finds_no_error_and_no_warning_in_any_demo_package(packages, monkeypatch):
    findings = {}
    for url, package in packages.items():
        context, served = _cove(package, monkeypatch)
        # The declared extensions were read (from the vendored files) and applied.
        assert {u for u in served if u.endswith(".zip") and "extension" in u} == {
            f"https://github.com/open-contracting-extensions/{u.split('/')[4]}/archive/"
            f"{u.split('/')[5]}.zip"
            for u in package["extensions"]
        }
        found = {
            key: context.get(key)
            for key in (
                "validation_errors",
                "additional_checks",  # empty fields
                "additional_fields",  # fields in neither the standard nor a declared extension
                "additional_closed_codelist_values",
                "additional_open_codelist_values",
                "deprecated_fields",
                "json_deref_error",
            )
            if context.get(key)
        }
        if context["extensions"].get("invalid_extension"):
            found["invalid_extension"] = context["extensions"]["invalid_extension"]
        if found:
            findings[url] = found
    assert findings == {}, json.dumps(findings, indent=1, ensure_ascii=False)[:6000]


def test_records_are_compiled_as_ocdskit_compiles_the_releases(client, packages, monkeypatch):
    releases = [p for url, p in packages.items() if url.startswith("/ocds/releases.json")]
    records = [
        record
        for url, p in packages.items()
        if url.startswith("/ocds/records.json")
        for record in p["records"]
    ]
    with offline(monkeypatch):
        theirs = {c["ocid"]: c for c in ocdskit.combine.merge(releases)}
    assert sorted(theirs) == sorted(r["ocid"] for r in records)

    def aside(compiled):
        return {k: v for k, v in compiled.items() if k not in ("id", "date")}

    for record in records:
        assert aside(record["compiledRelease"]) == aside(theirs[record["ocid"]]), record["ocid"]


def test_the_awarded_record_keeps_every_party_and_every_reference_resolves(packages, demo):
    awarded = next(c for c in demo if c.status is ChallengeStatus.AWARDED)
    records = {
        r["ocid"]: r for url, p in packages.items() if "records" in url for r in p["records"]
    }
    record = records[ocds.ocid(awarded)]
    compiled = record["compiledRelease"]
    in_releases = {p["id"] for release in record["releases"] for p in release.get("parties", [])}
    assert {p["id"] for p in compiled["parties"]} == in_releases
    assert len(in_releases) == 4  # the buyer and the three bidders
    roles = {p["id"]: set(p["roles"]) for p in compiled["parties"]}
    assert sum("supplier" in r for r in roles.values()) == 1
    assert sum("tenderer" in r for r in roles.values()) == 3
    for release in [compiled, *(r for p in packages.values() for r in p.get("releases", []))]:
        assert _dangling(release) == [], release["id"]
    for r in records.values():
        assert _dangling(r["compiledRelease"]) == [], r["ocid"]


def _references(release):
    """Every organization reference (id and name) of a release, by where it is."""
    yield "buyer", release.get("buyer")
    tender = release.get("tender", {})
    yield "tender/procuringEntity", tender.get("procuringEntity")
    for t in tender.get("tenderers", []):
        yield "tender/tenderers", t
    for bid in release.get("bids", {}).get("details", []):
        for t in bid.get("tenderers", []):
            yield "bids/details/tenderers", t
    for award in release.get("awards", []):
        for s in award.get("suppliers", []):
            yield "awards/suppliers", s
    for contract in release.get("contracts", []):
        for t in contract.get("implementation", {}).get("transactions", []):
            yield "transactions/payer", t.get("payer")
            yield "transactions/payee", t.get("payee")


def _dangling(release):
    parties = {p["id"]: p["name"] for p in release.get("parties", [])}
    return [
        (where, ref)
        for where, ref in _references(release)
        if ref is not None and parties.get(ref["id"]) != ref["name"]
    ]


def test_the_dangling_check_finds_a_missing_party():
    release = {
        "parties": [{"id": "a", "name": "A"}],
        "awards": [{"suppliers": [{"id": "b", "name": "B"}]}],
    }
    assert _dangling(release) == [("awards/suppliers", {"id": "b", "name": "B"})]


def test_releases_are_in_the_language_of_their_challenge(packages, demo):
    by_ocid = {ocds.ocid(c): c.agency for c in demo}
    languages = {}
    for package in packages.values():
        for release in package.get("releases", []):
            languages.setdefault(by_ocid[release["ocid"]].code, set()).add(release["language"])
        for record in package.get("records", []):
            agency = by_ocid[record["ocid"]].code
            languages.setdefault(agency, set()).add(record["compiledRelease"]["language"])
    # The demo's agencies: Buenos Aires and Bogotá write in Spanish, Recife in Portuguese.
    assert languages == {"BA-INNOVA": {"es"}, "MINTIC-CO": {"es"}, "RECIFE-TD": {"pt"}}


def _strings(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}/{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _strings(item, f"{path}/{n}")
    else:
        yield path, value


def test_no_package_has_an_empty_or_null_field(packages):
    empty = [
        (url, path)
        for url, package in packages.items()
        for path, value in _strings(package)
        if value is None or (isinstance(value, str) and not value.strip())
    ]
    assert empty == []
    # Empty arrays and objects are not leaves: look for them directly.
    text = json.dumps(packages)
    assert ": []" not in text
    assert ": {}" not in text


def test_every_datetime_of_every_package_carries_a_utc_offset(packages):
    dates = [
        (url, path, value)
        for url, package in packages.items()
        for path, value in _strings(package)
        if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\d", value)
    ]
    # Every kind of date the packages publish is looked at.
    kinds = {path.rsplit("/", 1)[-1] for _, path, _ in dates}
    assert {"publishedDate", "date", "startDate", "endDate", "datePublished"} <= kinds
    assert {"dueDate", "dateMet", "dateSigned"} <= kinds
    wrong = [d for d in dates if not RFC3339.fullmatch(d[2])]
    assert wrong == []
    for _, _, value in dates:
        assert dt.datetime.fromisoformat(value).utcoffset() == dt.timedelta(0)


def test_what_left_the_non_standard_fields_is_still_published(packages, demo, db):
    from govtech.awards.models import AwardDecision, PilotMilestone

    releases = [r for p in packages.values() for r in p.get("releases", [])]
    cancelled = next(c for c in demo if c.status is ChallengeStatus.CANCELLED)
    cancellation = next(r for r in releases if r["tag"] == ["tenderCancellation"])
    reasons = {
        d["description"]
        for d in cancellation["tender"]["documents"]
        if d["documentType"] == "cancellationDetails"
    }
    assert reasons == {cancelled.status_reason}
    void = next(c for c in demo if c.status is ChallengeStatus.VOID)
    justification = db.session.scalar(
        sa.select(AwardDecision.justification).where(AwardDecision.challenge_id == void.id)
    )
    void_release = next(
        r for r in releases if r["ocid"].endswith(void.reference) and r["id"].endswith("-award")
    )
    assert justification in {d.get("description") for d in void_release["tender"]["documents"]}
    assert "awards" not in void_release
    contract = next(r for r in releases if "contract" in r["tag"])
    descriptions = [m["description"] for m in contract["contracts"][0]["milestones"]]
    for milestone in db.session.scalars(sa.select(PilotMilestone)):
        assert any(
            d.startswith(milestone.deliverable) and f"{milestone.payment_amount:.2f}" in d
            for d in descriptions
        )


def test_the_app_compiles_with_the_schema_the_ocp_tools_build(monkeypatch):
    """The app's vendored release schema is the standard's patched with exactly the declared
    extensions, each of which is vendored for the tests."""
    assert sorted(EXTENSION_FOLDERS) == sorted(ocds.EXTENSIONS)
    with offline(monkeypatch):
        built = patched_release_schema(list(ocds.EXTENSIONS))
    assert json.loads(ocds.RELEASE_SCHEMA.read_text(encoding="utf-8")) == built


def test_records_are_compiled_without_the_network(client, demo, monkeypatch):
    ocds._merger.cache_clear()  # read the schema and build the merge rules again, offline
    with offline(monkeypatch) as files:
        response = client.get("/ocds/records.json")
    assert response.status_code == 200
    assert files.served == []
    awarded = next(c for c in demo if c.status is ChallengeStatus.AWARDED)
    record = next(
        r for r in response.get_json()["records"] if r["ocid"].endswith(awarded.reference)
    )
    assert len(record["compiledRelease"]["parties"]) == 4
