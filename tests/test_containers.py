"""The same proposal in every container a grant writer uses must get the same top-3 programs."""

from pathlib import Path

import docx
import pytest
from test_readers import hwpx_bytes, korean_pdf, para, section_xml

from ndmatch import api
from ndmatch.readers import read_document

FIXTURES = Path(__file__).parent / "fixtures" / "readers"


def containers(text: str, folder: Path) -> dict[str, Path]:
    lines = [line for line in text.splitlines() if line.strip()]
    files = {"utf8.txt": text.encode("utf-8"), "cp949.txt": text.encode("cp949"),
             "doc.hwpx": hwpx_bytes({"section0.xml": section_xml("".join(para(line) for line in lines))}),
             "doc.pdf": korean_pdf(" ".join(lines))}
    paths = {}
    for name, data in files.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    paths["doc.docx"] = folder / "doc.docx"
    document.save(paths["doc.docx"])
    return paths


@pytest.mark.parametrize("name", ["proposal-d07", "proposal-g01"])
def test_same_top3_whatever_the_container(name, small_matcher, tmp_path):
    text = (FIXTURES / f"{name}.txt").read_text(encoding="utf-8").strip()
    paths = containers(text, tmp_path)
    paths["real.hwp"] = FIXTURES / f"{name}.hwp"
    inputs = [(label, read_document(path)) for label, path in paths.items()]
    results = api.score(small_matcher, inputs, top=3, explain=False)
    top3 = {r.input: [m.program for m in r.matches] for r in results}
    assert len({tuple(v) for v in top3.values()}) == 1, top3
    assert top3["real.hwp"][0] == name[-3:].upper()
