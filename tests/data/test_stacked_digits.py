"""Stacked MNIST: three independent digits, one per colour channel, labelled 100 r + 10 g + b."""

from __future__ import annotations

import pytest
import torch

from ganlab.data.image_sources import IMAGE_SOURCES, load_image_source
from ganlab.data.stacked_digits import STACKED_DATASET, STACKED_MODES, mode_of, stack_digits


def test_mode_labels_read_red_green_blue_as_hundreds_tens_units():
    assert mode_of(torch.tensor([[4, 7, 2], [0, 0, 0], [9, 9, 9]])).tolist() == [472, 0, 999]


def test_each_channel_is_one_of_the_digits_and_the_label_names_them():
    # digit i is an image filled with the value i, so each channel says which digit it holds
    images = torch.arange(10, dtype=torch.uint8).view(10, 1, 1, 1).expand(10, 1, 4, 4).contiguous()
    labels = torch.arange(10)
    stacked, modes = stack_digits(images, labels, count=500, seed=3)
    assert stacked.shape == (500, 3, 4, 4) and stacked.dtype == torch.uint8
    channel_digits = stacked[:, :, 0, 0].long()
    assert (stacked == stacked[:, :, :1, :1]).all()  # each channel one whole digit
    assert torch.equal(modes, channel_digits[:, 0] * 100 + channel_digits[:, 1] * 10 + channel_digits[:, 2])
    assert len(set(modes.tolist())) > 350  # independent draws: 500 from 1,000 modes mostly differ
    again, _ = stack_digits(images, labels, count=500, seed=3)
    assert torch.equal(again, stacked)


@pytest.mark.parametrize("images, labels", [
    (torch.zeros(4, 3, 8, 8), torch.zeros(4)),  # colour in
    (torch.zeros(4, 1, 8, 8), torch.zeros(3)),  # labels do not match
])
def test_bad_inputs_are_refused(images, labels):
    with pytest.raises(ValueError):
        stack_digits(images, labels, count=2)


def test_the_built_in_source_is_offline_with_a_thousand_classes(tmp_path):
    source = IMAGE_SOURCES[STACKED_DATASET]
    assert source.builtin and source.is_available(tmp_path) and source.num_classes == STACKED_MODES
    data = load_image_source(STACKED_DATASET, 28, 3, root=tmp_path, max_images=2_000)  # no MNIST there: the built-in digits
    assert data.images.shape == (2_000, 3, 28, 28) and data.num_classes == STACKED_MODES
    assert len(set(data.labels.tolist())) > 800
