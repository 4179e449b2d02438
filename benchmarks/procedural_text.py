"""The embedded text task: "synthtext", a seeded procedural language for live training of the
`nlp` space on a CPU (what `shapes10` is for the image spaces). Nothing is downloaded.

The language (96 tokens): id 0 is `<eos>`, ids 1-8 open a bracket of type 1-8, ids 9-16 close
it, ids 17-95 are 79 words. A sentence is generated left to right:

- while a sentence is shorter than its drawn target length (geometric, mean 24), a bracket opens
  with probability 0.10 (depth at most 4), the innermost open bracket closes with probability
  0.12, otherwise a word is emitted;
- a word is drawn from a mixture: 0.55 the previous word's successor distribution (each word has
  4 preferred successors with Zipf weights 1, 1/2, 1/3, 1/4), 0.35 the *topic* of the innermost
  open bracket (each bracket type prefers its own 12 words; outside brackets, topic 0), 0.10
  uniform over the words;
- at the target length every open bracket closes, innermost first, then `<eos>`.

So predicting the next token needs short memory (bigrams), a stack (which bracket closes next,
and when the sentence may end) and a topic held across many tokens: recurrent cells that keep
state well reach lower loss, which is what a benchmark of cells should reward. Losses are
per-token cross-entropy in nats; a uniform guess scores ln 96 = 4.56.

Splits (one stream per split from its own child of `SeedSequence(ROOT_SEED)`, whole sentences):
train 100,000 tokens, validation 10,000, test 10,000 (each cut at the first sentence end past
its size, so a split ends with `<eos>`). Pure-Python `random.Random` draws: the same bytes on
every machine and Python version.
"""

from __future__ import annotations

import bisect
import functools
import random
from itertools import accumulate

import numpy as np

NAME = "synthtext"
VOCAB = 96
EOS = 0
BRACKET_TYPES = 8
FIRST_WORD = 1 + 2 * BRACKET_TYPES        # 17
NUM_WORDS = VOCAB - FIRST_WORD            # 79
SPLIT_SIZES = {"train": 100_000, "val": 10_000, "test": 10_000}
ROOT_SEED = 20261203
MEAN_LENGTH = 24
P_OPEN, P_CLOSE, MAX_DEPTH = 0.10, 0.12, 4
MIX_BIGRAM, MIX_TOPIC = 0.55, 0.35        # the rest is uniform
SUCCESSORS, TOPIC_WORDS = 4, 12


@functools.lru_cache(maxsize=1)
def _grammar() -> tuple[list[list[int]], list[list[float]], list[list[int]]]:
    """(successors per word, their cumulative weights, words per topic 0..8), fixed by
    ROOT_SEED so that every split speaks the same language."""
    rng = random.Random(ROOT_SEED)
    words = list(range(FIRST_WORD, VOCAB))
    weights = list(accumulate(1.0 / (k + 1) for k in range(SUCCESSORS)))
    successors = [rng.sample(words, SUCCESSORS) for _ in range(VOCAB)]
    cumulative = [weights for _ in range(VOCAB)]
    topics = [rng.sample(words, TOPIC_WORDS) for _ in range(BRACKET_TYPES + 1)]
    return successors, cumulative, topics


def _stream(size: int, rng: random.Random) -> list[int]:
    successors, cumulative, topics = _grammar()
    out: list[int] = []
    prev = EOS
    while len(out) < size:
        target = 1
        while rng.random() > 1.0 / MEAN_LENGTH:
            target += 1
        stack: list[int] = []
        length = 0
        while length < target:
            r = rng.random()
            if len(stack) < MAX_DEPTH and r < P_OPEN:
                kind = rng.randrange(BRACKET_TYPES)
                stack.append(kind)
                out.append(1 + kind)
            elif stack and r < P_OPEN + P_CLOSE:
                out.append(1 + BRACKET_TYPES + stack.pop())
            else:
                m = rng.random()
                if m < MIX_BIGRAM:
                    cum = cumulative[prev]
                    pick = bisect.bisect_left(cum, rng.random() * cum[-1])
                    prev = successors[prev][pick]
                elif m < MIX_BIGRAM + MIX_TOPIC:
                    prev = rng.choice(topics[stack[-1] + 1 if stack else 0])
                else:
                    prev = FIRST_WORD + rng.randrange(NUM_WORDS)
                out.append(prev)
            length += 1
        out.extend(1 + BRACKET_TYPES + k for k in reversed(stack))
        out.append(EOS)
    return out


@functools.lru_cache(maxsize=1)
def splits() -> dict[str, np.ndarray]:
    """{"train", "val", "test"}: int64 token streams (about 0.3 s to generate)."""
    children = np.random.SeedSequence(ROOT_SEED).spawn(len(SPLIT_SIZES))
    out = {}
    for (name, size), child in zip(SPLIT_SIZES.items(), children):
        rng = random.Random(int(child.generate_state(1)[0]))
        out[name] = np.asarray(_stream(size, rng), dtype=np.int64)
    return out
