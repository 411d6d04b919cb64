"""Exported packages: manifests valid against the schemas, CAM rules, safe and deterministic zip."""

import io
import re
import stat
import zipfile
from pathlib import Path

import pytest
import xmlschema
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from lxml import etree

from courses.models import ImageBlock, Lesson, Quiz
from lms.lib.safezip import FIXED_DATE_TIME, check_zip_members
from records import xapi
from scorm_export.packaging import manifest as manifests
from scorm_export.packaging.builder import Cmi5Builder, PackageError, builder_for
from scorm_export.packaging.content import load_course_content
from tests import factories

pytestmark = pytest.mark.django_db

STANDARDS = ["scorm12", "scorm2004", "cmi5"]
MANIFEST = {"scorm12": "imsmanifest.xml", "scorm2004": "imsmanifest.xml", "cmi5": "cmi5.xml"}
CP = {"scorm12": manifests.SCORM12_CP, "scorm2004": manifests.SCORM2004_CP}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def package_zip(course, standard) -> zipfile.ZipFile:
    return zipfile.ZipFile(
        io.BytesIO(builder_for(standard, course.published_version).build_bytes())
    )


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def course_with_image(rich_course, media_root):
    lesson = (
        Lesson.objects.filter(module__version=rich_course.published_version)
        .order_by("position")
        .last()
    )
    block = ImageBlock(lesson=lesson, position=50, key="img", alt="Een spreekkamer")
    block.image.save("spreekkamer.png", ContentFile(PNG), save=False)
    with factories.unpublished(rich_course.published_version):
        block.save()
    return rich_course


@pytest.mark.parametrize("standard", STANDARDS)
def test_it_writes_a_manifest_that_xmlschema_accepts(course_with_image, standard, tmp_path):
    """Validated with xmlschema against the schema files inside the package itself (at its root)."""
    zf = package_zip(course_with_image, standard)
    zf.extractall(tmp_path)
    manifest_path = tmp_path / MANIFEST[standard]
    if standard == "cmi5":
        schema = xmlschema.XMLSchema(str(tmp_path / "CourseStructure.xsd"))
        schema.validate(str(manifest_path))
    else:
        # The instance's own xsi:schemaLocation names the files at the package root.
        xmlschema.validate(str(manifest_path), cls=xmlschema.XMLSchema10, base_url=str(tmp_path))
    manifests.validate_manifest(standard, manifest_path.read_bytes(), frozenset(zf.namelist()))


@pytest.mark.parametrize("standard", ["scorm12", "scorm2004"])
def test_it_lists_every_file_resolves_every_reference_and_types_the_sco(
    course_with_image, standard
):
    zf = package_zip(course_with_image, standard)
    names = set(zf.namelist())
    root = etree.fromstring(zf.read("imsmanifest.xml"))
    ns = {"cp": CP[standard]}
    resources = {r.get("identifier"): r for r in root.iterfind(".//cp:resource", ns)}
    for item in root.iterfind(".//cp:item", ns):
        assert item.get("identifierref") in resources
    (sco,) = resources.values()
    adlcp = manifests.SCORM12_ADLCP if standard == "scorm12" else manifests.SCORM2004_ADLCP
    attr = "scormtype" if standard == "scorm12" else "scormType"
    assert sco.get(f"{{{adlcp}}}{attr}") == "sco"
    listed = {f.get("href") for f in sco.iterfind("cp:file", ns)}
    assert listed <= names
    # Everything of the SCO is listed: pages, assets and the uploaded image.
    assert {"index.html", "assets/runtime.js", "assets/player.js", "assets/package.css"} <= listed
    assert any(n.startswith("media/") and n.endswith(".png") for n in listed)
    for schema_name in manifests.SCHEMA_FILES[standard].values():
        assert schema_name in names  # the schemas sit at the package root
    index = zf.read("index.html").decode()
    for src in [s for s in listed if s.startswith("media/")]:
        assert f'src="{src}"' in index


def test_it_sets_the_mastery_score_from_the_final_tests_pass_mark(db):
    course = factories.make_course(pass_mark=85)
    s12 = etree.fromstring(package_zip(course, "scorm12").read("imsmanifest.xml"))
    assert s12.findtext(f".//{{{manifests.SCORM12_ADLCP}}}masteryscore") == "85"
    s2004 = etree.fromstring(package_zip(course, "scorm2004").read("imsmanifest.xml"))
    primary = s2004.find(f".//{{{manifests.SCORM2004_IMSSS}}}primaryObjective")
    assert primary.get("satisfiedByMeasure") == "true"
    assert primary.findtext(f"{{{manifests.SCORM2004_IMSSS}}}minNormalizedMeasure") == "0.85"
    cmi5 = etree.fromstring(package_zip(course, "cmi5").read("cmi5.xml"))
    au = cmi5.find(f"{{{manifests.CMI5_NS}}}au")
    assert au.get("masteryScore") == "0.85"
    assert au.get("moveOn") == "CompletedAndPassed"


def test_it_names_the_cmi5_course_as_the_sites_own_statements_do(db, settings):
    settings.SITE_URL = "https://spreekkamer.example.nl"
    settings.XAPI_ACTIVITY_BASE = "https://leren.example.nl/xapi/"
    course = factories.make_course(slug="basis")
    cmi5 = etree.fromstring(package_zip(course, "cmi5").read("cmi5.xml"))
    course_id = cmi5.find(f"{{{manifests.CMI5_NS}}}course").get("id")
    assert course_id == xapi.course_iri("basis") == "https://leren.example.nl/xapi/courses/basis"
    assert cmi5.find(f"{{{manifests.CMI5_NS}}}au").get("id").startswith(course_id + "/")


def test_it_leaves_out_the_mastery_score_without_a_final_test(db):
    course = factories.make_course(final_questions=0)
    cmi5 = etree.fromstring(package_zip(course, "cmi5").read("cmi5.xml"))
    au = cmi5.find(f"{{{manifests.CMI5_NS}}}au")
    assert au.get("masteryScore") is None and au.get("moveOn") == "Completed"
    s12 = etree.fromstring(package_zip(course, "scorm12").read("imsmanifest.xml"))
    assert s12.find(f".//{{{manifests.SCORM12_ADLCP}}}masteryscore") is None


@pytest.mark.parametrize("standard", STANDARDS)
def test_it_builds_the_same_bytes_twice_with_fixed_metadata(course_with_image, standard):
    version = course_with_image.published_version
    first = builder_for(standard, version).build_bytes()
    second = builder_for(standard, version).build_bytes()
    assert first == second
    zf = zipfile.ZipFile(io.BytesIO(first))
    names = zf.namelist()
    assert names == sorted(names)
    assert check_zip_members(names) == []
    for info in zf.infolist():
        assert info.date_time == FIXED_DATE_TIME
        assert stat.S_IMODE(info.external_attr >> 16) == 0o644
        assert not info.filename.startswith("/") and ".." not in info.filename.split("/")


def test_it_changes_the_bytes_when_the_course_changes(rich_course):
    version = rich_course.published_version
    before = builder_for("scorm12", version).build_bytes()
    Lesson.objects.filter(module__version=version, position=1).update(title="Les 2, herzien")
    assert builder_for("scorm12", version).build_bytes() != before


def test_it_refuses_a_media_file_with_an_unsafe_name(rich_course, media_root):
    lesson = Lesson.objects.filter(module__version=rich_course.published_version).first()
    with factories.unpublished(rich_course.published_version):
        ImageBlock.objects.create(
            lesson=lesson, position=60, key="evil", alt="x", image="../../etc/passwd"
        )
    with pytest.raises(PackageError, match="Onveilige bestandsnaam"):
        builder_for("scorm12", rich_course.published_version).build_bytes()


def test_it_refuses_a_missing_media_file_with_a_clear_message(rich_course, media_root):
    lesson = Lesson.objects.filter(module__version=rich_course.published_version).first()
    with factories.unpublished(rich_course.published_version):
        ImageBlock.objects.create(
            lesson=lesson, position=60, key="gone", alt="x", image="blocks/images/weg.png"
        )
    with pytest.raises(PackageError, match="ontbreekt"):
        builder_for("scorm2004", rich_course.published_version).build_bytes()


def test_it_refuses_a_final_test_without_questions(db):
    course = factories.make_course(final_questions=0)
    with factories.unpublished(course.published_version):
        Quiz.objects.create(
            version=course.published_version,
            key="leeg",
            title="Lege eindtoets",
            kind=Quiz.Kind.FINAL,
        )
    with pytest.raises(PackageError, match="Lege eindtoets"):
        builder_for("cmi5", course.published_version).build_bytes()


def test_it_reports_every_broken_cam_rule():
    info = manifests.ManifestInfo(
        identifier="x",
        title="T",
        description="",
        language="nl",
        launch="index.html",
        files=("index.html", "assets/missing.js"),
        mastery_score=70,
    )
    xml = manifests.scorm12_manifest(info).replace(
        b'identifierref="RES-SCO"', b'identifierref="RES-NONE"'
    )
    xml = xml.replace(b'adlcp:scormtype="sco"', b"")
    with pytest.raises(manifests.ManifestError) as caught:
        manifests.validate_manifest("scorm12", xml, frozenset({"index.html"}))
    text = " ".join(caught.value.problems)
    assert "RES-NONE" in text
    assert "scormtype" in text
    assert "assets/missing.js" in text
    assert "imscp_rootv1p1p2.xsd" in text


def test_it_reports_schema_violations():
    info = manifests.ManifestInfo(
        identifier="x",
        title="T",
        description="",
        language="nl",
        launch="index.html",
        files=("index.html",),
        mastery_score=None,
        course_iri="https://example.org/c",
    )
    xml = manifests.cmi5_course_structure(info).replace(b"<url>", b"<unexpected/><url>")
    with pytest.raises(manifests.ManifestError, match="XSD"):
        manifests.validate_manifest("cmi5", xml, frozenset({"index.html"}))


def test_it_ships_schema_copies_identical_to_the_shared_ones():
    shared = Path(settings.BASE_DIR).parent / "shared" / "schemas"
    if not shared.is_dir():
        shared = Path("/work/shared/schemas")
    if not shared.is_dir():
        pytest.skip("no shared schemas beside the repository")
    for standard in STANDARDS:
        for name in set(manifests.SCHEMA_FILES[standard].values()) | set(
            manifests.SUPPORT_FILES[standard]
        ):
            bundled = manifests.BUNDLED_SCHEMAS / standard / name
            assert bundled.read_bytes() == (shared / standard / name).read_bytes(), name


def test_it_reads_the_whole_course_in_a_fixed_number_of_queries(
    rich_course, django_assert_num_queries
):
    version = rich_course.published_version
    # lessons 1; blocks 1 + 6 kinds; personas 1; steps 1 + choices with next step 1; quizzes 1;
    # questions 1 + 3 kinds (single, multiple, true/false) + options 1.
    with django_assert_num_queries(17):
        content = load_course_content(version)
        for page in content.pages:
            for item in page.items:
                getattr(item.block, "persona", None)
                for _step, choices in item.steps:
                    [c.next_step for c in choices]
                if item.quiz:
                    [q.options for q in item.quiz.questions]
    assert [p.kind for p in content.pages] == ["lesson", "lesson", "final"]
    assert len(content.final.questions) == 3


def test_the_command_writes_a_package_and_refuses_unknown_courses(rich_course, tmp_path):
    target = tmp_path / "out" / "basis.zip"
    call_command("export_package", rich_course.slug, "--standard", "scorm2004", "-o", str(target))
    assert zipfile.ZipFile(target).read("imsmanifest.xml").startswith(b"<?xml")
    assert not (tmp_path / "out" / "basis.zip.partial").exists()
    with pytest.raises(CommandError, match="No course"):
        call_command(
            "export_package", "bestaat-niet", "--standard", "cmi5", "-o", str(tmp_path / "x.zip")
        )
    assert not (tmp_path / "x.zip").exists()


def test_it_reads_only_the_schemas_inside_the_package(settings, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    settings.BASE_DIR = repo
    shared = tmp_path / "shared" / "schemas" / "scorm12"
    shared.mkdir(parents=True)
    (shared / "imscp_rootv1p1p2.xsd").write_text("not a schema")
    assert manifests.schema_dir("scorm12") == manifests.BUNDLED_SCHEMAS / "scorm12"
    assert b"not a schema" not in manifests.schema_files("scorm12")["imscp_rootv1p1p2.xsd"]


def test_it_ships_the_vendored_cmi5_runtime_identical_to_the_npm_build(
    rich_course, settings, tmp_path
):
    npm_build = Path(settings.BASE_DIR) / "node_modules" / "@xapi" / "cmi5" / "dist" / "Cmi5.umd.js"
    if not npm_build.is_file():
        pytest.skip("node_modules is not installed")
    assert Cmi5Builder.library.read_bytes() == npm_build.read_bytes()
    licences = (Cmi5Builder.library.parent / "LICENSES.md").read_text()
    for name in ("@xapi/cmi5", "@xapi/xapi", "axios", "deepmerge", "uuid"):
        assert f"## {name}" in licences
    # Production never looks in node_modules: the package builds with BASE_DIR elsewhere.
    settings.BASE_DIR = tmp_path
    runtime = package_zip(rich_course, "cmi5").read("assets/lib/cmi5.umd.js")
    assert runtime == npm_build.read_bytes()


@pytest.mark.parametrize("standard", STANDARDS)
def test_it_renders_unique_ids_and_labels_for_every_field(rich_course, standard):
    html = package_zip(rich_course, standard).read("index.html").decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    labelled = set(re.findall(r'\sfor="([^"]+)"', html))
    fields = re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', html)
    assert fields and set(fields) <= labelled
    # No inline script or style: the page works under a strict CSP too.
    assert "style=" not in html
    assert re.findall(r"<script(?![^>]*\ssrc=)(?![^>]*application/json)", html) == []


def test_it_tells_a_learner_who_failed_the_pass_mark_in_plain_dutch(course_with_image):
    """The package's messages say "slaaggrens" / "minimaal X% goed", never the jargon "cesuur"."""
    package = builder_for("scorm2004", course_with_image.published_version).build_bytes()
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        texts = [
            archive.read(name).decode()
            for name in archive.namelist()
            if name.endswith((".html", ".js", ".json"))
        ]
    everything = "\n".join(texts)
    assert "cesuur" not in everything.lower()
    assert "Je hebt de slaaggrens niet gehaald: minimaal %(mark)s%% goed." in everything
