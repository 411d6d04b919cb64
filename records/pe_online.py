"""PE-online's attendance web service: the request it takes, the reply it gives, one HTTP call.

Source: Xaurum, "Webservice voor verwerking van presentie (E-learning en cursus met fysieke
bijeenkomsten) in GAIA/PE-online", versie 0.1 (copy in github.com/demeyerthom/pe-online-client,
documents/). The service is `WriteAttendance.asmx`, operation `ProcessXML` with one parameter
`sXML`; at most 100 <Attendance> per call; one orgID per call. Its reply is a <Summary>:

    <Summary>
      <Results><rejected_rows>1</rejected_rows><accepted_rows>2</accepted_rows>
               <total_rows>3</total_rows></Results>
      <Error><errorNR>100</errorNR>
             <errorMsg>Cursus 9471 op regel 2 is niet (juist) ...</errorMsg></Error>
      <Accepted><person>59059671101</person><course>8001</course><date>...</date></Accepted>
    </Summary>

Nothing here knows about courses or completions: a submission is a list of `PeLine`s, so an
edition of a live session can be sent the same way. See docs/registers.md.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from lxml import etree

# The web service accepts at most 100 <Attendance> per call (documentation, §3).
MAX_ATTENDANCES_PER_CALL = 100


@dataclass(frozen=True)
class PeLine:
    """One <Attendance>: the person's register number and the course (module/edition) ids."""

    person: str
    course_id: str
    end_date: dt.datetime | None = None  # e-learning: the completion moment
    module_id: str = ""
    edition_id: str = ""  # courses with editions (and, later, live sessions)


def pe_end_date(moment: dt.datetime) -> str:
    """xs:dateTime in Dutch local time with offset, as in the documentation's example."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def entry_chunks(
    org_id: int | None, lines: Iterable[PeLine], *, user_key: str = "", rows_per_chunk: int = 100
) -> Iterator[bytes]:
    """The <Entry> document for `lines`, as UTF-8 byte chunks (lazy: one chunk per N lines).

    `user_key` is only passed when sending; a downloadable file leaves <userKey/> empty.
    """
    buffer = io.BytesIO()
    xml = XMLGenerator(buffer, encoding="utf-8", short_empty_elements=True)

    def element(name: str, text: str, indent: str) -> None:
        xml.ignorableWhitespace(indent)
        xml.startElement(name, AttributesImpl({}))
        xml.characters(text)
        xml.endElement(name)

    def drain() -> bytes:
        data = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return data

    xml.startDocument()
    xml.startElement("Entry", AttributesImpl({}))
    xml.ignorableWhitespace("\n  ")
    xml.startElement("Settings", AttributesImpl({}))
    for name, value in [
        ("userID", settings.PE_ONLINE_USER_ID),
        ("userRole", "EDU"),
        ("userKey", user_key),
        ("orgID", "" if org_id is None else str(org_id)),
        ("settingOutput", "0"),
        ("emailOutput", ""),
        ("languageID", "1"),
        ("defaultLanguageID", "1"),
    ]:
        element(name, value, "\n    ")
    xml.ignorableWhitespace("\n  ")
    xml.endElement("Settings")
    pending = 0
    for line in lines:
        xml.ignorableWhitespace("\n  ")
        xml.startElement("Attendance", AttributesImpl({}))
        element("PECourseID", line.course_id, "\n    ")
        element("externalPersonID", line.person, "\n    ")
        if line.edition_id:
            element("PEEditionID", line.edition_id, "\n    ")
        else:
            if line.module_id:
                element("PEModuleID", line.module_id, "\n    ")
            if line.end_date is not None:
                element("endDate", pe_end_date(line.end_date), "\n    ")
        xml.ignorableWhitespace("\n  ")
        xml.endElement("Attendance")
        pending += 1
        if pending >= rows_per_chunk:
            yield drain()
            pending = 0
    xml.ignorableWhitespace("\n")
    xml.endElement("Entry")
    xml.endDocument()
    xml.ignorableWhitespace("\n")
    yield drain()


# --- The reply ---------------------------------------------------------------------------------


class PeOnlineReplyError(ValueError):
    """The reply is not a Summary PE-online documents; nothing may be concluded from it."""


class PeOnlineBatchRefused(PeOnlineReplyError):
    """PE-online refused the whole call (wrong key, invalid XML): no line was processed."""


@dataclass(frozen=True)
class PeError:
    number: str
    message: str
    line: int | None  # "op regel [n]"
    person: str = ""  # "Professional [ID] op regel [n] ..."


@dataclass
class PeReply:
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (person, course)
    errors: list[PeError] = field(default_factory=list)
    accepted_rows: int = 0
    rejected_rows: int = 0
    total_rows: int = 0


_LINE = re.compile(r"op regel (\d+)", re.IGNORECASE)
_PROFESSIONAL = re.compile(r"Professional (\S+) op regel", re.IGNORECASE)


def _find_summary(root):
    if root.tag == "Summary":
        return root
    found = root.find(".//Summary")
    if found is not None:
        return found
    # ASP.NET web services may wrap the document as escaped text (<string>&lt;Summary ...).
    text = (root.text or "").strip()
    if text.startswith("<"):
        return _find_summary(_parse_xml(text.encode()))
    return None


def _parse_xml(data: bytes):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise PeOnlineReplyError(
            _("Het antwoord van PE-online is geen geldige XML: %(error)s") % {"error": exc}
        ) from exc


def _count(results, name: str) -> int:
    text = (results.findtext(name) or "").strip()
    if not text.isascii() or not text.isdigit():
        raise PeOnlineReplyError(
            _("Het antwoord van PE-online heeft geen geldig getal in <%(element)s>: %(text)r")
            % {"element": name, "text": text}
        )
    return int(text)


def parse_reply(data: bytes | str) -> PeReply:
    """Read PE-online's <Summary>. Raises PeOnlineReplyError when it is not one, or when its
    counts contradict its own rows (then nothing may be marked)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data.strip():
        raise PeOnlineReplyError(_("Het antwoord van PE-online is leeg."))
    summary = _find_summary(_parse_xml(data.strip()))
    if summary is None:
        raise PeOnlineReplyError(_("Het antwoord van PE-online bevat geen <Summary>."))
    results = summary.find("Results")
    if results is None:
        raise PeOnlineReplyError(_("Het antwoord van PE-online bevat geen <Results>."))
    reply = PeReply(
        accepted_rows=_count(results, "accepted_rows"),
        rejected_rows=_count(results, "rejected_rows"),
        total_rows=_count(results, "total_rows"),
    )
    for accepted in summary.findall("Accepted"):
        person = (accepted.findtext("person") or "").strip()
        course = (accepted.findtext("course") or "").strip()
        if not person:
            raise PeOnlineReplyError(_("Een <Accepted> in het antwoord heeft geen <person>."))
        reply.accepted.append((person, course))
    for error in summary.findall("Error"):
        message = " ".join((error.findtext("errorMsg") or "").split())
        line = _LINE.search(message)
        person = _PROFESSIONAL.search(message)
        reply.errors.append(
            PeError(
                number=(error.findtext("errorNR") or error.findtext("errorNr") or "").strip(),
                message=message,
                line=int(line.group(1)) if line else None,
                person=person.group(1) if person else "",
            )
        )
    if len(reply.accepted) != reply.accepted_rows:
        raise PeOnlineReplyError(
            _(
                "Het antwoord van PE-online noemt %(counted)s geaccepteerde regels maar bevat er "
                "%(found)s."
            )
            % {"counted": reply.accepted_rows, "found": len(reply.accepted)}
        )
    if reply.accepted_rows + reply.rejected_rows != reply.total_rows:
        raise PeOnlineReplyError(
            _(
                "In het antwoord van PE-online tellen geaccepteerd en geweigerd niet op tot het "
                "totaal."
            )
        )
    return reply


# PE-online's documented error messages (documentation §4.3, "overzicht met mogelijke
# foutcodes": errorMsg and its explanation) and what they mean for staff, translatable. PE-online
# writes its messages in Dutch only; the raw text is always kept and shown beside this.
# More specific patterns (module, uitvoering) come before the general course ones.
_DOCUMENTED_ERRORS = [
    (
        r"^Cursus \S+ Module op regel \d+ niet opgegeven",
        gettext_lazy("De module ontbreekt; deze e-learning bestaat in PE-online uit modules."),
    ),
    (
        r"^Cursus \S+ Module \S+ op regel \d+ bestaat niet in PE",
        gettext_lazy("De meegegeven module hoort niet bij deze scholing."),
    ),
    (
        r"^Cursus \S+ Module \S+ op regel \d+ is niet uniek",
        gettext_lazy("De module-ID is in PE-online niet uniek voor deze scholing."),
    ),
    (
        r"^Cursus \S+ uitvoering op regel \d+ niet opgegeven",
        gettext_lazy("De uitvoering (PEEditionID) ontbreekt."),
    ),
    (
        r"^Cursus \S+ uitvoering \S+ op regel \d+ bestaat niet in PE",
        gettext_lazy("De meegegeven uitvoering hoort niet bij deze scholing."),
    ),
    (
        r"^Cursus \S+ uitvoering \S+ op regel \d+ is niet uniek",
        gettext_lazy("De uitvoering-ID is in PE-online niet uniek voor deze scholing."),
    ),
    (
        r"bevat geen enddate, dit is verplicht voor e-learning",
        gettext_lazy("De einddatum ontbreekt; die is verplicht voor e-learning."),
    ),
    (
        r"bevat een enddate, dit is niet mogelijk voor klassikaal",
        gettext_lazy("Een einddatum kan niet worden gebruikt bij klassikale scholingen."),
    ),
    (
        r"bevat editions en/of meetings",
        gettext_lazy("Een e-learning mag geen uitvoering of bijeenkomst meekrijgen."),
    ),
    (
        r"^Professional \S+ op regel \d+ bestaat niet in PE",
        gettext_lazy(
            "PE-online kent dit registratienummer niet binnen deze organisatie (orgID); "
            "laat de deelnemer het nummer controleren."
        ),
    ),
    (
        r"^Professional op regel \d+ niet opgegeven",
        gettext_lazy("Er is geen registratienummer meegegeven."),
    ),
    (r"^Cursus op regel \d+ niet opgegeven", gettext_lazy("Er is geen cursus-ID meegegeven.")),
    (
        r"^Cursus \S+ op regel \d+ bestaat niet in PE",
        gettext_lazy("De cursus komt in PE-online niet voor binnen deze organisatie (orgID)."),
    ),
    (
        r"^Cursus \S+ op regel \d+ is niet uniek binnen PE",
        gettext_lazy("De cursus-ID is in PE-online niet uniek."),
    ),
    (
        r"Niet geaccrediteerd bij een beroepsgroep van de organisatie",
        gettext_lazy("De scholing is (nog) niet geaccrediteerd voor deze organisatie (orgID)."),
    ),
    (
        r"valt buiten alle accr\. periodes",
        gettext_lazy("Op de datum van deelname was de scholing niet (meer) geaccrediteerd."),
    ),
    (
        r"valt buiten alle periodes dat er registratie kan plaatsvinden",
        gettext_lazy(
            "De accrediterende verenigingen staan presentie-invoer voor deze periode niet meer toe."
        ),
    ),
    (
        r"bij geen enkele beroepsgroep door de opleider gedaan",
        gettext_lazy(
            "Presentie voor deze scholing wordt bij deze organisatie niet door de aanbieder "
            "ingevoerd."
        ),
    ),
]
_DOCUMENTED_ERROR_PATTERNS = [
    (re.compile(pattern, re.IGNORECASE), text) for pattern, text in _DOCUMENTED_ERRORS
]


def explain_errors(error_text: str) -> str:
    """What PE-online's documented error messages in `error_text` (joined by "; ") mean, in the
    active language; "" when none is recognised."""
    explanations: list[str] = []
    for message in error_text.split("; "):
        for pattern, text in _DOCUMENTED_ERROR_PATTERNS:
            if pattern.search(message):
                if str(text) not in explanations:
                    explanations.append(str(text))
                break
    return " ".join(explanations)


@dataclass(frozen=True)
class LineVerdict:
    accepted: bool
    error_text: str = ""


def match_reply(lines: list[PeLine], reply: PeReply) -> list[LineVerdict]:
    """PE-online's verdict per sent line, in order.

    A line is accepted only when an <Accepted> names its person and course (each <Accepted>
    counts once). Every other line is rejected, with the error that names its person, else the
    error of its line number. The documentation's example numbers the first <Attendance> as
    "regel 2" (as if <Settings> were line 1), so "regel n" is read as attendance n-1 first and
    as attendance n when that line was accepted. A batch-level error (wrong key, invalid XML)
    names no line: it goes to every rejected line. Raises PeOnlineReplyError when the reply's
    total does not match what was sent or an <Accepted> matches nothing.
    """
    if reply.total_rows not in (len(lines), 0) or (reply.total_rows == 0 and reply.accepted_rows):
        raise PeOnlineReplyError(
            _("PE-online meldt %(received)s regels ontvangen; er zijn er %(sent)s verstuurd.")
            % {"received": reply.total_rows, "sent": len(lines)}
        )
    if (
        not reply.accepted
        and reply.errors
        and all(e.line is None and not e.person for e in reply.errors)
    ):
        raise PeOnlineBatchRefused(
            _("PE-online verwerkte niets: %(errors)s")
            % {"errors": "; ".join(e.message for e in reply.errors)}
        )
    remaining = list(reply.accepted)
    accepted = [False] * len(lines)
    for position, line in enumerate(lines):
        key = (line.person, line.course_id)
        if key in remaining:
            remaining.remove(key)
            accepted[position] = True
    if remaining:
        raise PeOnlineReplyError(
            _("PE-online accepteerde een regel die niet is verstuurd: %(person)s.")
            % {"person": remaining[0][0]}
        )
    texts: list[list[str]] = [[] for _ in lines]
    batch_errors: list[str] = []
    for error in reply.errors:
        index: int | None = None
        if error.person:
            index = next(
                (
                    i
                    for i, line in enumerate(lines)
                    if line.person == error.person and not accepted[i]
                ),
                None,
            )
        if index is None and error.line is not None:
            for candidate in (error.line - 2, error.line - 1):
                if 0 <= candidate < len(lines) and not accepted[candidate]:
                    index = candidate
                    break
        if index is None:
            batch_errors.append(error.message)
        else:
            texts[index].append(error.message)
    verdicts = []
    for index, _line in enumerate(lines):
        if accepted[index]:
            verdicts.append(LineVerdict(True))
            continue
        text = "; ".join(texts[index] or batch_errors) or _(
            "PE-online heeft deze regel niet geaccepteerd en gaf geen reden."
        )
        verdicts.append(LineVerdict(False, text))
    return verdicts


# --- One HTTP call -----------------------------------------------------------------------------


class PeOnlineUnavailable(RuntimeError):
    """The web service could not be reached or answered with a server error: try again later."""


def is_configured() -> bool:
    return bool(
        settings.PE_ONLINE_URL and settings.PE_ONLINE_USER_ID and settings.PE_ONLINE_USER_KEY
    )


def post_entry(xml: bytes) -> bytes:
    """POST `xml` as the form field sXML to PE_ONLINE_URL (ProcessXML); return the reply body.

    Raises PeOnlineUnavailable on a timeout, a refused connection or a 5xx; PeOnlineReplyError
    on another non-2xx status (nothing was processed).
    """
    body = urllib.parse.urlencode({"sXML": xml.decode("utf-8")}).encode("ascii")
    request = urllib.request.Request(  # noqa: S310 - the URL comes from the environment
        settings.PE_ONLINE_URL,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.PE_ONLINE_TIMEOUT_SECONDS
        ) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        if exc.code >= 500:
            raise PeOnlineUnavailable(
                _("PE-online antwoordde met HTTP %(status)s.") % {"status": exc.code}
            ) from exc
        raise PeOnlineReplyError(
            _("PE-online weigerde de aanlevering met HTTP %(status)s: %(body)s")
            % {"status": exc.code, "body": exc.read(500).decode("utf-8", "replace")}
        ) from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PeOnlineUnavailable(
            _("PE-online is niet bereikbaar: %(reason)s") % {"reason": reason}
        ) from exc
