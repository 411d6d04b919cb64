"""Statement sets for the conversation tool's tests."""

from pathlib import Path

from conversations.statement_files import import_files, import_set

SEED = Path(__file__).resolve().parents[2] / "content" / "statements" / "wat-vind-jij.yaml"


def make_set(n=5, slug="testset"):
    kinds = ["experience", "discussion"]
    themes = ["bias", "bejegening", "registratie", "patientreis", "minderheidsstress"]
    return import_set(
        {
            "slug": slug,
            "title": "Testset",
            "statements": [
                {
                    "key": f"s{i}",
                    "type": kinds[i % 2],
                    "theme": themes[i % len(themes)],
                    "text": f"Stelling nummer {i}",
                }
                for i in range(1, n + 1)
            ],
        }
    )


def seed_set():
    return import_files([SEED])[0]
