"""The image page's "Ask the discriminator": draw a digit, see D's score for it (per class for a
conditional GAN). The drawing is made MNIST-like (ganlab.data.drawn_digit) and scored on the
trainer between two steps (`Trainer.score_images`), so it is the live D that answers.

A fragment without `run_every`: drawing reruns this panel only, not the page, and the canvas
sits outside the live fragments (a canvas redrawn twice a second would lose the stroke).
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from ganlab.data.drawn_digit import as_run_image, ink_of_rgba, mnist_like
from ganlab.formatting import format_number
from ganlab.gan.losses import DISPLAY_LABELS, get_loss
from ganlab.training import RunnerClosedError, Trainer, TrainerStartError, TrainerUnavailable
from ganlab.ui.readout import d_numbers

CANVAS_PX = 224  # 8x MNIST's 28
STROKE_PX = 22  # scaled like the digit (a 180 px tall digit to 20 px): ~2.5 px, MNIST's pen
SCORE_TIMEOUT_S = 5.0  # the page waits this long at most
MEANING = {
    "probability": "P(real) is D's belief that the image is a real training image: near 1 it would take your "
                   "digit for real data, near 0 for a fake. Early in training it means little; as D learns, a "
                   "neat digit should score higher than a scribble.",
    "target": "With the least-squares loss D is trained to output 1 on real images and 0 on generated ones: "
              "the closer to 1, the more real your digit looks to it.",
    "critic": "A Wasserstein or hinge critic's value has no fixed scale: higher means more real. Compare it with "
              "the critic's mean on real and on generated images below.",
}


def panel(runner: Trainer) -> None:
    """The section: a heading and the drawing panel (a fragment)."""
    st.subheader("Ask the discriminator")
    _panel(runner)


def _scores(runner: Trainer, image: np.ndarray) -> tuple[int, np.ndarray, np.ndarray] | str:
    """(step, logits, display scores) for the image (one per class when conditional), or a message."""
    experiment, knobs = runner.experiment, runner.snapshot().knobs
    s = experiment.structure
    x = as_run_image(image, s.image_size, s.channels)
    k = s.net_classes
    labels = np.arange(k) if k else None
    if k:
        x = np.repeat(x, k, axis=0)
    try:
        step, logits = runner.score_images(x, labels, timeout=SCORE_TIMEOUT_S)
    except RunnerClosedError:  # the run was closed (its tab left it); before its base class, TrainerUnavailable
        return "This run is closed, so D cannot be asked: reload the page to get a run again."
    except TrainerUnavailable:  # hung or gone: the run's message above offers Restart
        return ("The trainer of this run is not answering, so D cannot be asked now: press *Restart* in the "
                "message above the view to go on from the run's last autosave, then ask again.")
    except TimeoutError:
        return "The trainer is busy and did not answer in time; ask again in a moment."
    except TrainerStartError as err:
        return str(err)
    except RuntimeError:  # anything else the trainer could not do: logged there, a retry may work
        return "The trainer could not score the drawing just now; ask again in a moment, or press Reset if it keeps failing."
    except ValueError as err:
        return f"D cannot score this drawing: {err}."
    logits = np.asarray(logits)
    shown = get_loss(knobs.loss).score(torch.from_numpy(logits)).numpy()
    return step, logits, shown


def _answer(runner: Trainer, image: np.ndarray) -> None:
    result = _scores(runner, image)
    if isinstance(result, str):
        st.warning(result)
        return
    step, logits, shown = result
    snap = runner.snapshot()
    loss = get_loss(snap.knobs.loss)
    label = DISPLAY_LABELS[loss.display]
    names = runner.experiment.dataset.class_names if runner.experiment.structure.net_classes else ()
    if names:
        best = int(np.argmax(shown))
        st.markdown(f"At step {step:,}, D finds your drawing most believable as **{names[best]}**: "
                    f"{label} {format_number(shown[best], '.3f')} (logit {format_number(logits[best], '.2f')}).")
        st.bar_chart({label: {name: float(v) for name, v in zip(names, shown, strict=False)}}, height=200,
                     x_label="class D is told", y_label=label)
        st.caption("A conditional D judges an image together with its class: each bar is how real your "
                   "drawing looks as that class.")
    else:
        st.metric(f"{label} at step {step:,}", format_number(float(shown[0]), ".3f"),
                  help="D's raw output (logit) is " + format_number(float(logits[0]), ".3f"))
        st.caption(f"Logit {format_number(float(logits[0]), '.3f')}.")
    last = d_numbers(snap, runner)
    compare = ""
    if "d_real" in last and "d_fake" in last:
        compare = (f" In the last D step its mean was {format_number(last['d_real'], '.2f')} on real images and "
                   f"{format_number(last['d_fake'], '.2f')} on generated ones.")
    st.caption(MEANING[loss.display] + compare)


def canvas_digit(key: str) -> np.ndarray | None:
    """A canvas to draw a digit on, white on black; the drawing made MNIST-like (28x28 in [0, 1]),
    or None while nothing is drawn. Also the Latent page's drawn input (ganlab/ui/latent_pictures.py)."""
    # imported here: the component registers itself with a running Streamlit (a bare import fails)
    from streamlit_drawable_canvas import st_canvas

    st.space(28)  # room for the canvas's toolbar, which floats above it
    result = st_canvas(stroke_width=STROKE_PX, stroke_color="#ffffff", background_color="#000000",
                       height=CANVAS_PX, width=CANVAS_PX, drawing_mode="freedraw", return_image_data=True, key=key)
    return None if result.image_data is None else mnist_like(ink_of_rgba(result.image_data))


DRAW_CAPTION = ("Draw a digit in white on black, as MNIST's are. The toolbar over the canvas undoes (↶) "
                "and clears (the bin).")


@st.fragment
def _panel(runner: Trainer) -> None:
    st.caption(DRAW_CAPTION)
    left, right = st.columns([1, 1])
    with left:
        image = canvas_digit("im_ask_canvas")
    with right:
        if image is None:
            st.info("D scores what you draw here; a conditional GAN's D scores it for every class.")
            return
        st.image(np.repeat(np.repeat(image, 3, axis=0), 3, axis=1), caption="What D sees (28 × 28, centred "
                 "like MNIST)", width=84, clamp=True)
        _answer(runner, image)
        st.button("Ask again", key="im_ask_again", help="Score the drawing with D as it is now (training goes on)")
