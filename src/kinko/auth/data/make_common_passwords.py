"""Generate ``common_passwords.txt``: the guessable-password list of AUTH-9.

Kinko cannot ship a leaked-password corpus, so the list is built from the patterns such
corpora are made of: common words (English and Japanese romaji), Japanese and Western names,
keyboard walks, years, digit patterns, and l33t spellings, combined with the suffixes people
add to meet a "letters and digits" rule. The output is deterministic (sorted, no randomness),
so re-running the script reproduces the committed file byte for byte:

    .venv/bin/python src/kinko/auth/data/make_common_passwords.py

Entries are lowercase; the checker lowercases and un-l33ts a candidate before looking it up.
"""

from __future__ import annotations

import itertools
from pathlib import Path


def _words(text: str) -> list[str]:
    return text.split()


WORDS = _words("""
password passwd pass secret letmein welcome login admin administrator master root
qwerty dragon monkey shadow sunshine princess football baseball soccer hockey
superman batman iloveyou trustno1 starwars whatever freedom hello charlie
computer internet michael jordan harley ranger buster tigger thomas hunter
killer george summer winter spring autumn flower cookie cheese pepper ginger
orange banana apple lemon cherry purple silver golden diamond mustang corvette
ferrari porsche yamaha honda toyota nissan mazda subaru suzuki matrix merlin
access secure money banking bank online default guest test tester user
changeme newpass mypass mypassword yourpass nothing something lovely loveme
angel angels heaven jesus christ blessed family friend friends forever happy
smile sweet honey sugar candy chocolate coffee pizza music guitar piano dance
tiger lion eagle falcon panther wolf bear shark dolphin horse rabbit kitty
puppy doggy hello123 welcome1 london paris tokyo osaka kyoto nagoya yokohama
kobe sapporo fukuoka sendai hiroshima okayama chugin kiraboshi sumishin japan
nippon nihon samurai ninja sakura hanako taro tarou ichiro yamato fuji fujisan
tanuki neko inu usagi kuma tora ryu doraemon pikachu pokemon totoro ghibli
anime manga gundam naruto onepiece luffy goku dragonball sailormoon hellokitty
baka daisuki aishiteru arigato arigatou konnichiwa sayonara ohayo kawaii genki
ganbare ganbatte himitsu ango pasuwado kanri ginkou ginko yokin furikomi
""")

NAMES = _words("""
sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato
yoshida yamada sasaki yamaguchi matsumoto inoue kimura hayashi shimizu yamazaki
mori abe ikeda hashimoto yamashita ishikawa nakajima maeda fujita ogawa goto
okada hasegawa murakami kondo ishii saito sakamoto endo aoki fujii nishimura
fukuda ota miura fujiwara okamoto matsuda nakagawa nakano harada ono tamura
takeuchi kaneko wada nakayama ishida ueda morita hara shibata sakai kudo
hiroshi takashi kenji makoto akira yuki yuko keiko yoko kazuko akiko tomoko
naoko michiko emi yumi mayumi megumi ayumi kumiko junko noriko hiroko sachiko
kaori kana yui rina aoi hina haruto sota yuto riku hinata minato ren daiki
shota kenta ryota yusuke daisuke kazuya takuya naoki tsubasa sho kaito yuma
john james robert david william richard joseph charles daniel matthew anthony
mark steven paul andrew joshua kevin brian mary patricia jennifer linda
elizabeth barbara susan jessica sarah karen nancy lisa betty margaret sandra
ashley emily donna michelle carol amanda melissa deborah stephanie rebecca
""")

KEYBOARD_WALKS = _words("""
qwerty qwertyui qwertyuiop asdfgh asdfghjk asdfghjkl zxcvbn zxcvbnm qazwsx
qazwsxedc wsxedc 1qaz2wsx 1q2w3e4r 1q2w3e4r5t 1q2w3e 2wsx3edc zaq12wsx
zaq1xsw2 qweasd qweasdzxc asdqwe poiuytrewq lkjhgfdsa mnbvcxz qwer1234
asdf1234 zxcv1234 1234qwer 1234asdf abcd1234 abc123456 a1b2c3d4 a1b2c3d4e5
q1w2e3r4 q1w2e3r4t5 1a2b3c4d aaaa1111 qqqq1111 abcdefgh abcdefg1 abcdefgh1
""")

SUFFIXES = _words("""
1 12 123 1234 12345 123456 1234567 12345678 01 007 11 111 1111 69 77 777 88 888
99 999 00 000 0000 2 3 7 8 9 10 13 21 22 23 33 321 4321 54321 666 100 2525
""")

YEARS = [str(y) for y in range(1950, 2031)]
SHORT_YEARS = [f"{y % 100:02d}" for y in range(1950, 2031)]

LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"})


def digit_patterns() -> set[str]:
    out: set[str] = set()
    for d in "0123456789":
        for n in range(4, 17):
            out.add(d * n)
    seq = "01234567890123456789"
    for start in range(10):
        for n in range(4, 17):
            chunk = seq[start:start + n]
            if len(chunk) == n:
                out.add(chunk)
                out.add(chunk[::-1])
    for a, b in itertools.permutations("0123456789", 2):
        out.add((a + b) * 4)
        out.add((a + a + b + b) * 2)
    return out


def generate() -> list[str]:
    entries: set[str] = set()
    bases = sorted(set(WORDS) | set(NAMES))
    for word in bases:
        entries.add(word)
        for suffix in SUFFIXES:
            entries.add(word + suffix)
        for year in YEARS:
            entries.add(word + year)
        for year in SHORT_YEARS:
            entries.add(word + year)
        leet = word.translate(LEET)
        if leet != word:
            entries.add(leet)
            for suffix in SUFFIXES[:12]:
                entries.add(leet + suffix)
        entries.add(word.capitalize() + "1")  # lowered below: same as word + "1"
        entries.add("1" + word)
        entries.add("123" + word)
    for walk in KEYBOARD_WALKS:
        entries.add(walk)
        for suffix in SUFFIXES[:8]:
            entries.add(walk + suffix)
    entries |= digit_patterns()
    for year in YEARS:
        entries.add(year + year)
    return sorted({e.lower() for e in entries if 4 <= len(e) <= 32})


def main() -> None:
    target = Path(__file__).with_name("common_passwords.txt")
    lines = generate()
    target.write_text("\n".join(lines) + "\n", encoding="ascii")
    print(f"{len(lines)} entries written to {target}")


if __name__ == "__main__":
    main()
