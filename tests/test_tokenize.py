import os
import pickle
import subprocess
import sys

import pytest

from ndmatch.errors import NotFittedError, UsageError
from ndmatch.tokenize import KoreanTokenizer, hangul_ratio, normalize_text


@pytest.fixture(scope="module")
def tokenizer():
    return KoreanTokenizer().fit()


# Korean input -> tokens that must (and must not) appear.
CASES = [
    ("보건소 IoT 기반 어르신 돌봄 서비스", {"보건소", "어르신", "IOT"}, {"기반은"}),
    ("사물인터넷 센서로 독거노인 안부 확인", {"IOT", "독거노인"}, set()),
    ("AI를 활용한 R&D와 C-ITS 실증", {"AI", "RND", "CITS", "실증"}, {"르", "를"}),
    ("smart grid와 Digital Twin 구축", {"SMARTGRID", "DIGITALTWIN", "구축"}, set()),
    ("전기차 충전기 1,000기와 수소차 보급", {"EV", "CHARGER", "FCEV", "보급"}, {"기차"}),
    ("ＥＳＳ　및　ＡＭＩ　설치", {"ESS", "AMI", "설치"}, {"및"}),
    ("국비 50억 원 및 지방비 등을 투입", {"국비", "지방비", "투입"}, {"및", "등", "원"}),
    # Komoran dropped or split these until they were added to the user dictionary.
    ("민원 응대 AI 챗봇과 노후 창호 교체, 리모델링 후 배송", {"챗봇", "창호", "리모델링", "배송"}, {"모델링", "창"}),
]


@pytest.mark.parametrize("english,korean", [
    ("retrofit of old school buildings", "노후 학교 건물 리모델링"),
    ("Sewage and flood control on the river", "하수 홍수 하천"),
    ("Hydrogen buses for Ulsan", "울산 수소 버스"),
])
def test_english_nouns_share_the_korean_morphemes(tokenizer, english, korean):
    english_tokens = set(tokenizer.tokenize(english))
    korean_tokens = set(tokenizer.tokenize(korean))
    assert english_tokens - {"ULSAN", "OLD", "CONTROL"} <= korean_tokens, (english_tokens, korean_tokens)


def test_ambiguous_english_words_are_not_mapped(tokenizer):
    # In IT and security drafts these mean something else than 면허, 자격증, 교통 or 창호.
    tokens = tokenizer.tokenize("Windows licence and SSL certificate for network traffic")
    assert {"WINDOWS", "LICENCE", "CERTIFICATE", "TRAFFIC"} <= set(tokens), tokens


@pytest.mark.parametrize("text,present,absent", CASES)
def test_tokens(tokenizer, text, present, absent):
    tokens = set(tokenizer.tokenize(text))
    assert present <= tokens, tokens
    assert not (absent & tokens), tokens


@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00\x00", "1234 5678", "!!! ???"])
def test_nothing_to_tokenize(tokenizer, text):
    assert tokenizer.tokenize(text) == []


def test_english_only_text_keeps_terms(tokenizer):
    tokens = tokenizer.tokenize("AI platform for the smart city PoC")
    assert sorted(tokens) == ["AI", "PLATFORM", "POC", "SMARTCITY"]


def test_long_text_and_many_lines(tokenizer):
    text = "\n".join(["스마트 하수처리장 원격 감시 체계 구축"] * 400)
    tokens = tokenizer.tokenize(text)
    assert tokens.count("하수처리장") == 400


def test_transform_joins_tokens(tokenizer):
    assert tokenizer.transform(["데이터 댐", "태양광"]) == ["DATA 댐", "PV"]


def test_fingerprint_stable_and_setting_sensitive(tokenizer):
    assert tokenizer.settings_fingerprint() == KoreanTokenizer().fit().settings_fingerprint()
    assert tokenizer.settings_fingerprint() != KoreanTokenizer(keep_pos=("NNG",)).fit().settings_fingerprint()


def test_pickle_roundtrip_gives_same_tokens(tokenizer):
    text = "광주 AI 데이터센터와 스마트그린산단"
    clone = pickle.loads(pickle.dumps(tokenizer))
    assert clone.tokenize(text) == tokenizer.tokenize(text)


def test_unfitted_and_unknown_tagger():
    with pytest.raises(NotFittedError):
        KoreanTokenizer().tokenize("텍스트")
    with pytest.raises(UsageError, match="unknown tagger 'mecab'"):
        KoreanTokenizer(tagger="mecab").fit()


def test_okt_tagger_also_works():
    tokens = KoreanTokenizer(tagger="okt").fit().tokenize("스마트 병원에서 원격 협진을 한다")
    assert "병원" in tokens


def test_normalize_and_hangul_ratio():
    assert normalize_text("  a\r\nb\x00c ") == "a\nb c"
    assert hangul_ratio("가나 ab") == 0.5
    assert hangul_ratio("") == 0.0


def test_missing_java_gives_one_clear_line(tmp_path):
    """Without java on PATH and no JAVA_HOME, the user sees what to install, not a JPype traceback."""
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = str(tmp_path)  # nothing in it
    code = ("from ndmatch.tokenize import KoreanTokenizer\n"
            "from ndmatch.errors import JavaNotFoundError\n"
            "try:\n    KoreanTokenizer().fit().tokenize('한국어')\n"
            "except JavaNotFoundError as e:\n    print('MSG', e)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "MSG no Java runtime found" in out.stdout
    assert "default-jre-headless" in out.stdout


def test_preload_tagger_loads_once_in_the_background(tokenizer):
    from ndmatch.jvm import get_tagger, preload_tagger

    tokenizer.tokenize("가")  # this process's Komoran is loaded
    assert preload_tagger("komoran") is None  # nothing left to do
    assert preload_tagger("no-such-tagger") is None
    first = get_tagger("komoran")
    assert get_tagger("komoran") is first
