"""The package manifests: imsmanifest.xml (SCORM 1.2 and 2004) and cmi5.xml, and their validation.

The documents are built with lxml and serialised the same way every time, so an unchanged course
gives an identical manifest. Validation checks the XSDs and the rules XSDs cannot express
(identifierrefs that resolve, the SCORM type attribute, every referenced file present in the
package).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from lxml import etree

XSI = "http://www.w3.org/2001/XMLSchema-instance"

SCORM12_CP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
SCORM12_ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
SCORM2004_CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
SCORM2004_ADLCP = "http://www.adlnet.org/xsd/adlcp_v1p3"
SCORM2004_ADLSEQ = "http://www.adlnet.org/xsd/adlseq_v1p3"
SCORM2004_ADLNAV = "http://www.adlnet.org/xsd/adlnav_v1p3"
SCORM2004_IMSSS = "http://www.imsglobal.org/xsd/imsss"
CMI5_NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"

# Which schema file declares which namespace, per standard; these files go into the package root.
SCHEMA_FILES = {
    "scorm12": {
        SCORM12_CP: "imscp_rootv1p1p2.xsd",
        SCORM12_ADLCP: "adlcp_rootv1p2.xsd",
    },
    "scorm2004": {
        SCORM2004_CP: "imscp_v1p1.xsd",
        SCORM2004_ADLCP: "adlcp_v1p3.xsd",
        SCORM2004_ADLSEQ: "adlseq_v1p3.xsd",
        SCORM2004_ADLNAV: "adlnav_v1p3.xsd",
        SCORM2004_IMSSS: "imsss_v1p0.xsd",
    },
    "cmi5": {CMI5_NS: "CourseStructure.xsd"},
}
# Files the schemas above import or include; shipped alongside them.
SUPPORT_FILES = {
    "scorm12": ["ims_xml.xsd"],
    "scorm2004": [
        "xml.xsd",
        "XMLSchema.dtd",
        "datatypes.dtd",
        "imsss_v1p0auxresource.xsd",
        "imsss_v1p0control.xsd",
        "imsss_v1p0delivery.xsd",
        "imsss_v1p0limit.xsd",
        "imsss_v1p0objective.xsd",
        "imsss_v1p0random.xsd",
        "imsss_v1p0rollup.xsd",
        "imsss_v1p0seqrule.xsd",
        "imsss_v1p0util.xsd",
    ],
    "cmi5": [],
}
BUNDLED_SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


class ManifestError(ValueError):
    """The manifest breaks a rule of its standard; `problems` lists every broken rule."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def schema_dir(standard: str) -> Path:
    """The folder with the schemas of `standard`, shipped inside this package (package data):
    production never reads the development layout. `tests/scorm_export` checks that the copies
    match the shared ones."""
    return BUNDLED_SCHEMAS / standard


def schema_files(standard: str) -> dict[str, bytes]:
    """The schema files that go into the package root of `standard`: file name → bytes."""
    folder = schema_dir(standard)
    names = sorted(set(SCHEMA_FILES[standard].values()) | set(SUPPORT_FILES[standard]))
    return {name: (folder / name).read_bytes() for name in names}


@dataclass(frozen=True)
class ManifestInfo:
    """What a manifest says about a course; `files` are every file of the SCO (relative paths)."""

    identifier: str
    title: str
    description: str
    language: str
    launch: str
    files: tuple[str, ...]
    mastery_score: int | None  # pass mark in percent, None when the course has no final test
    course_iri: str = ""


def _serialise(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _sub(parent, tag, text=None, **attrs):
    element = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _schema_location(standard: str) -> str:
    return " ".join(f"{ns} {name}" for ns, name in SCHEMA_FILES[standard].items())


def scorm12_manifest(info: ManifestInfo) -> bytes:
    """Return imsmanifest.xml for SCORM 1.2: one organisation, one item, one SCO resource."""
    cp = f"{{{SCORM12_CP}}}"
    adlcp = f"{{{SCORM12_ADLCP}}}"
    root = etree.Element(
        cp + "manifest",
        {
            "identifier": info.identifier,
            "version": "1.0",
            f"{{{XSI}}}schemaLocation": _schema_location("scorm12"),
        },
        nsmap={None: SCORM12_CP, "adlcp": SCORM12_ADLCP, "xsi": XSI},
    )
    metadata = _sub(root, cp + "metadata")
    _sub(metadata, cp + "schema", "ADL SCORM")
    _sub(metadata, cp + "schemaversion", "1.2")
    organizations = _sub(root, cp + "organizations", default="ORG-1")
    organization = _sub(organizations, cp + "organization", identifier="ORG-1")
    _sub(organization, cp + "title", info.title)
    item = _sub(
        organization, cp + "item", identifier="ITEM-1", identifierref="RES-SCO", isvisible="true"
    )
    _sub(item, cp + "title", info.title)
    if info.mastery_score is not None:
        _sub(item, adlcp + "masteryscore", str(info.mastery_score))
    resources = _sub(root, cp + "resources")
    resource = _sub(
        resources, cp + "resource", identifier="RES-SCO", type="webcontent", href=info.launch
    )
    resource.set(adlcp + "scormtype", "sco")
    for name in info.files:
        _sub(resource, cp + "file", href=name)
    return _serialise(root)


def scorm2004_manifest(info: ManifestInfo) -> bytes:
    """Return imsmanifest.xml for SCORM 2004 4th edition.

    With a final test, the primary objective is satisfied by measure at pass_mark/100, which makes
    the LMS hand the SCO that value as cmi.scaled_passing_score.
    """
    cp = f"{{{SCORM2004_CP}}}"
    adlcp = f"{{{SCORM2004_ADLCP}}}"
    imsss = f"{{{SCORM2004_IMSSS}}}"
    root = etree.Element(
        cp + "manifest",
        {
            "identifier": info.identifier,
            "version": "1",
            f"{{{XSI}}}schemaLocation": _schema_location("scorm2004"),
        },
        nsmap={
            None: SCORM2004_CP,
            "adlcp": SCORM2004_ADLCP,
            "adlseq": SCORM2004_ADLSEQ,
            "adlnav": SCORM2004_ADLNAV,
            "imsss": SCORM2004_IMSSS,
            "xsi": XSI,
        },
    )
    metadata = _sub(root, cp + "metadata")
    _sub(metadata, cp + "schema", "ADL SCORM")
    _sub(metadata, cp + "schemaversion", "2004 4th Edition")
    organizations = _sub(root, cp + "organizations", default="ORG-1")
    organization = _sub(organizations, cp + "organization", identifier="ORG-1")
    _sub(organization, cp + "title", info.title)
    item = _sub(
        organization, cp + "item", identifier="ITEM-1", identifierref="RES-SCO", isvisible="true"
    )
    _sub(item, cp + "title", info.title)
    sequencing = _sub(item, imsss + "sequencing")
    if info.mastery_score is not None:
        objectives = _sub(sequencing, imsss + "objectives")
        primary = _sub(
            objectives,
            imsss + "primaryObjective",
            objectiveID="PRIMARYOBJ",
            satisfiedByMeasure="true",
        )
        _sub(primary, imsss + "minNormalizedMeasure", _scaled(info.mastery_score))
    _sub(
        sequencing,
        imsss + "deliveryControls",
        completionSetByContent="true",
        objectiveSetByContent="true",
    )
    resources = _sub(root, cp + "resources")
    resource = _sub(
        resources, cp + "resource", identifier="RES-SCO", type="webcontent", href=info.launch
    )
    resource.set(adlcp + "scormType", "sco")
    for name in info.files:
        _sub(resource, cp + "file", href=name)
    return _serialise(root)


def cmi5_course_structure(info: ManifestInfo) -> bytes:
    """Return cmi5.xml: the course and one AU; masteryScore is pass_mark/100 when there is a final
    test.
    """
    ns = f"{{{CMI5_NS}}}"
    root = etree.Element(ns + "courseStructure", nsmap={None: CMI5_NS})
    course = _sub(root, ns + "course", id=info.course_iri)
    _langstring(course, ns + "title", info.title, info.language)
    _langstring(course, ns + "description", info.description or info.title, info.language)
    au = _sub(
        root,
        ns + "au",
        id=f"{info.course_iri}/au",
        moveOn="CompletedAndPassed" if info.mastery_score is not None else "Completed",
        masteryScore=_scaled(info.mastery_score) if info.mastery_score is not None else None,
        launchMethod="AnyWindow",
    )
    _langstring(au, ns + "title", info.title, info.language)
    _langstring(au, ns + "description", info.description or info.title, info.language)
    _sub(au, ns + "url", info.launch)
    return _serialise(root)


def _langstring(parent, tag, text, language):
    element = _sub(parent, tag)
    _sub(element, f"{{{CMI5_NS}}}langstring", text, lang=language)


def _scaled(percent: int) -> str:
    # Decimal keeps 70 → "0.7" and 100 → "1" exact, without float noise such as 0.7000000000000001.
    value = (Decimal(percent) / 100).normalize()
    return format(value, "f")


# --- Validation
# -------------------------------------------------------------------------------------------


def _driver_schema(standard: str) -> etree.XMLSchema:
    """An XSD importing every schema of `standard`, so one validator covers every namespace."""
    folder = schema_dir(standard)
    imports = "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{name}"/>'
        for ns, name in SCHEMA_FILES[standard].items()
    )
    driver = f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{imports}</xs:schema>'
    doc = etree.fromstring(driver.encode(), base_url=(folder / "driver.xsd").as_uri())
    return etree.XMLSchema(doc)


def validate_manifest(
    standard: str, manifest: bytes, package_files: set[str] | frozenset[str]
) -> None:
    """Raise ManifestError listing every problem of `manifest`, or return None when it is valid.

    Checks the XSDs of `standard`, and for SCORM that every identifierref resolves, every resource
    has its scormtype/scormType, and every file and launch href exists in `package_files`; for cmi5
    that every AU url is in the package and masteryScore lies between 0 and 1.
    """
    root = etree.fromstring(manifest)
    schema = _driver_schema(standard)
    problems = (
        [f"XSD: {e.message} (line {e.line})" for e in schema.error_log]
        if not schema.validate(root)
        else []
    )
    if standard == "cmi5":
        for au in root.iter(f"{{{CMI5_NS}}}au"):
            url = au.findtext(f"{{{CMI5_NS}}}url", "").split("?")[0]
            if url not in package_files:
                problems.append(f"AU url {url!r} is not in the package")
            mastery = au.get("masteryScore")
            if mastery is not None and not 0 <= float(mastery) <= 1:
                problems.append(f"masteryScore {mastery} outside 0..1")
    else:
        cp, adlcp, type_attr = (
            (SCORM12_CP, SCORM12_ADLCP, "scormtype")
            if standard == "scorm12"
            else (SCORM2004_CP, SCORM2004_ADLCP, "scormType")
        )
        resources = {r.get("identifier"): r for r in root.iter(f"{{{cp}}}resource")}
        for item in root.iter(f"{{{cp}}}item"):
            ref = item.get("identifierref")
            if ref is not None and ref not in resources:
                problems.append(f"identifierref {ref!r} does not resolve")
        organizations = root.find(f"{{{cp}}}organizations")
        default = organizations.get("default") if organizations is not None else None
        if default and default not in {
            o.get("identifier") for o in root.iter(f"{{{cp}}}organization")
        }:
            problems.append(f"default organization {default!r} does not resolve")
        for identifier, resource in resources.items():
            if resource.get(f"{{{adlcp}}}{type_attr}") not in {"sco", "asset"}:
                problems.append(f"resource {identifier!r} lacks adlcp:{type_attr}")
            hrefs = [resource.get("href")] + [f.get("href") for f in resource.iter(f"{{{cp}}}file")]
            for href in filter(None, hrefs):
                if href.split("?")[0] not in package_files:
                    problems.append(
                        f"file {href!r} of resource {identifier!r} is not in the package"
                    )
        for name in SCHEMA_FILES[standard].values():
            if name not in package_files:
                problems.append(f"schema {name!r} is not at the package root")
    if problems:
        raise ManifestError(problems)
