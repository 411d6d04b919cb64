"""A stand-in for PE-online's attendance web service on loopback (a real HTTP server thread).

It answers ProcessXML like the documentation (Xaurum, "Webservice voor verwerking van presentie
... in GAIA/PE-online" v0.1, §4): a <Summary> with <Results>, one <Error> per refused line
("... op regel [n] ...", lines counted with <Settings> as line 1, as in the documented example)
and one <Accepted> per processed line. Tests script it:
- `unknown_persons`: register numbers it does not know ("Professional X op regel n bestaat niet");
- `outside_period`: numbers whose date falls outside the accreditation period;
- `hang`: answer nothing (the client must time out); `malformed`: answer a broken document;
- `user_key`: the key it expects (a wrong one: "Geen toegang; onjuiste sleutel", nothing processed).
"""

from __future__ import annotations

import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from lxml import etree

PATH = "/pe-services/pe-attendanceelearning/WriteAttendance.asmx/ProcessXML"


class PeOnlineServer:
    def __init__(self, user_key="sleutel-123"):
        self.user_key = user_key
        self.unknown_persons: set[str] = set()
        self.outside_period: set[str] = set()
        self.hang = False
        self.malformed = False
        self.requests: list[bytes] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.requests.append(raw)
                if server.hang:
                    server.release.wait(30)
                    return
                if self.path != PATH:
                    return self._answer(404, b"not found")
                if server.malformed:
                    return self._answer(200, b"<Summary><Results><accepted_rows>2</acc")
                form = urllib.parse.parse_qs(raw.decode("utf-8"))
                self._answer(200, server.summary(form["sXML"][0].encode("utf-8")))

            def _answer(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{PATH}"

    def entries(self) -> list:
        return [
            etree.fromstring(urllib.parse.parse_qs(r.decode())["sXML"][0].encode())
            for r in self.requests
        ]

    def summary(self, xml: bytes) -> bytes:
        entry = etree.fromstring(xml)
        errors, accepted = [], []
        if entry.findtext("Settings/userKey") != self.user_key:
            errors.append(("1", "No access; incorrect key / Geen toegang; onjuiste sleutel"))
            total = 0
        else:
            attendances = entry.findall("Attendance")
            total = len(attendances)
            for n, attendance in enumerate(attendances, start=2):
                person = attendance.findtext("externalPersonID")
                course = attendance.findtext("PECourseID")
                if person in self.unknown_persons:
                    errors.append(("100", f"Professional {person} op regel {n} bestaat niet in PE"))
                elif person in self.outside_period:
                    errors.append(
                        (
                            "100",
                            f"Cursus {course} op regel {n} is niet (juist) geaccrediteerd; "
                            "De datum valt buiten alle accr. periodes",
                        )
                    )
                else:
                    accepted.append((person, course))
        summary = etree.Element("Summary")
        results = etree.SubElement(summary, "Results")
        etree.SubElement(results, "rejected_rows").text = str(total - len(accepted))
        etree.SubElement(results, "accepted_rows").text = str(len(accepted))
        etree.SubElement(results, "total_rows").text = str(total)
        for number, message in errors:
            error = etree.SubElement(summary, "Error")
            etree.SubElement(error, "errorNR").text = number
            etree.SubElement(error, "errorMsg").text = message
        for person, course in accepted:
            element = etree.SubElement(summary, "Accepted")
            etree.SubElement(element, "person").text = person
            etree.SubElement(element, "course").text = course
            etree.SubElement(element, "date").text = "2026-04-01T10:00:00.0000000+02:00"
        return etree.tostring(summary, xml_declaration=True, encoding="utf-8", standalone=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def service(settings):
    """A running stand-in with the settings that point the sender at it."""
    server = PeOnlineServer().start()
    settings.PE_ONLINE_URL = server.url
    settings.PE_ONLINE_USER_ID = "4711"
    settings.PE_ONLINE_USER_KEY = "sleutel-123"
    settings.PE_ONLINE_TIMEOUT_SECONDS = 2
    settings.PE_ONLINE_MAX_ATTEMPTS = 3
    yield server
    server.stop()
