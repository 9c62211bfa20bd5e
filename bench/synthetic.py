"""Generate a synthetic factsheet project: N sheets in M languages, with realistic text lengths per script.

The text is made from word lists in each script (Latin for English,
Cyrillic for Russian and Ukrainian, Hangul for Korean), with sentence and
fact counts like the shipped sheets, so that layout and font work match a
real desk's. Every translation records the right source hash and ends up
in PO files, so the project checks clean and builds without fallbacks.

    python bench/synthetic.py OUT_DIR --sheets 1000 --languages en,ko,ru,uk
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

from factsheet.migrate import migrate
from factsheet.model import text_hash
from factsheet.project import load_project

WORDS = {
    "en": "the state media footage showed leader soldiers coffin ceremony reported deployment region officials said "
          "according broadcast intelligence estimate troops front army minister visit agreement treaty first anniversary "
          "performance delegation culture engineers construction personnel offensive summer winter clothing remains".split(),
    "ru": "государственные СМИ показали кадры лидер солдаты гроб церемония сообщили развертывание область чиновники "
          "заявили по данным передача разведка оценка войска фронт армия министр визит соглашение договор годовщина "
          "представление делегация культура инженеры строители наступление лето зима одежда останки".split(),
    "uk": "державні ЗМІ показали кадри лідер солдати труна церемонія повідомили розгортання область посадовці заявили "
          "за даними передача розвідка оцінка війська фронт армія міністр візит угода договір річниця вистава делегація "
          "культура інженери будівельники наступ літо зима одяг рештки їхні єдність ґанок".split(),
    "ko": "관영 매체 영상 지도자 병사 관 의식 보도 파병 지역 당국자 발표 방송 정보당국 추정 군대 전선 군 장관 방문 "
          "합의 조약 첫 기념 공연 대표단 문화 공병 건설 인력 공세 여름 겨울 옷 유해 공개 확인".split(),
}


def sentence(rng: random.Random, language: str, words: int) -> str:
    """A sentence of `words` words from the language's list."""
    chosen = [rng.choice(WORDS[language]) for _ in range(words)]
    text = " ".join(chosen)
    return (text[0].upper() + text[1:] if language != "ko" else text) + "."


def text_block(rng: random.Random, languages: list[str], words: int, indent: str) -> str:
    """A text field in YAML with its translations, each recording the source hash."""
    source = sentence(rng, "en", words)
    lines = [f"{indent}en: \"{source}\""]
    for language in languages:
        if language == "en":
            continue
        lines += [f"{indent}{language}:", f"{indent}  text: \"{sentence(rng, language, words)}\"",
                  f"{indent}  translates: \"{text_hash(source)}\"", f"{indent}  reviewed: false"]
    return "\n" + "\n".join(lines)


def sheet_yaml(rng: random.Random, index: int, languages: list[str]) -> str:
    """One sheet: three sections of three facts, one disputed figure, a short timeline."""
    sid = f"sheet-{index:04d}"
    out = [f"sheet:\n  id: {sid}\n  title:{text_block(rng, languages, 6, '    ')}",
           f"  summary:{text_block(rng, languages, 50, '    ')}", "  as_of: 2025-06-30",
           f"  languages: [{', '.join(languages)}]", "  bottom_line:"]
    for t in range(2):  # the panel at the top of page 1, as the shipped sheets have
        out.append(f"    - id: {sid}-t{t}\n      text:{text_block(rng, languages, rng.randint(12, 16), '        ')}"
                   f"\n      status: reported\n      attribution: actor-{t}\n      citations: [source-{t}]")
    out.append("  sections:")
    for s in range(3):
        out.append(f"    - id: {sid}-s{s}\n      title:{text_block(rng, languages, 4, '        ')}\n      facts:")
        for f in range(3):
            dated = f"\n          date: 2025-06-{rng.randint(1, 29):02d}" if f == 0 else ""  # like the shipped sheets: some facts dated
            out.append(f"        - id: {sid}-s{s}-f{f}\n          text:{text_block(rng, languages, rng.randint(16, 28), '            ')}"
                       f"\n          status: {rng.choice(['confirmed', 'reported', 'claimed', 'disputed'])}"
                       f"\n          attribution: {{who: actor-{rng.randint(0, 4)}, via: actor-5}}"
                       f"{dated}\n          key: {'true' if f == 0 else 'false'}"
                       f"\n          citations: [source-{rng.randint(0, 2)}, source-{rng.randint(3, 4)}]")
    out.append(f"  figures:\n    - id: {sid}-dead\n      label:{text_block(rng, languages, 5, '        ')}"
               f"\n      unit:{text_block(rng, languages, 1, '        ')}\n      measures: {sid}-deaths\n      disputed: true\n      key: true\n      claims:"
               f"\n        - id: {sid}-dead-a\n          value: {{more_than: {rng.randint(1000, 9000)}}}\n          as_of: 2025-06-30"
               f"\n          attribution: actor-1\n          citations: [source-0]"
               f"\n        - id: {sid}-dead-b\n          value: {{min: 4, max: 5}}\n          as_of: 2025-06-30"
               f"\n          attribution: actor-0\n          citations: [source-1]")
    out.append(f"  timeline:\n    - id: {sid}-e0\n      date: 2024-10\n      text:{text_block(rng, languages, 12, '        ')}"
               f"\n      citations: [source-2]")
    return "\n".join(out) + "\n"


def generate(root: Path, sheets: int, languages: list[str], seed: int = 1) -> Path:
    """Write a complete synthetic project under `root` (replacing it) and return it."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    (root / "factsheets" / "sheets").mkdir(parents=True)
    targets = [lang for lang in languages if lang != "en"]
    (root / "factsheets" / "settings.yaml").write_text(
        f"organisation: Synthetic Desk\nsource_language: en\nlanguages: [{', '.join(targets)}]\ntemplate: briefing\n",
        encoding="utf-8")
    actors = ["actors:"] + [f"  - id: actor-{i}\n    name:{text_block(rng, languages, 3, '      ')}\n    kind: other"
                            for i in range(6)]
    (root / "factsheets" / "actors.yaml").write_text("\n".join(actors) + "\n", encoding="utf-8")
    sources = ["sources:"] + [f"  - id: source-{i}\n    title: \"{sentence(rng, 'en', 10)}\"\n    publisher: Agency {i}"
                              f"\n    published: 2025-06-{i + 20}\n    language: en\n    url: https://example.org/{i}"
                              for i in range(5)]
    (root / "factsheets" / "sources.yaml").write_text("\n".join(sources) + "\n", encoding="utf-8")
    for index in range(sheets):
        (root / "factsheets" / "sheets" / f"sheet-{index:04d}.yaml").write_text(
            sheet_yaml(rng, index, languages), encoding="utf-8")
    shutil.copytree(Path(__file__).resolve().parents[1] / "templates", root / "templates")
    # Translations are written in the YAML first and moved into PO files by the same migration a desk runs.
    migrate(load_project(root))
    return root


def main() -> None:
    """Command line: write a synthetic project."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--sheets", type=int, default=10)
    parser.add_argument("--languages", default="en,ko,ru,uk")
    args = parser.parse_args()
    root = generate(args.out, args.sheets, args.languages.split(","))
    print(f"wrote {args.sheets} sheets in {args.languages} to {root}")


if __name__ == "__main__":
    main()
