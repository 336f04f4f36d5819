"""The shipped metric classifier: it loads from safetensors, classifies real MNIST test digits
(tests/fixtures/mnist_test_digits.npz: 20 of them, 2 per class, made by
scripts/train_metric_classifier.py), its shipped reference features are its own, bad files
give clear errors, and it says which runs it fits."""

from pathlib import Path

import numpy as np
import pytest
import torch

from ganlab.data.image_sources import resize_images
from ganlab.metrics.classifier import (
    FEATURE_DIM,
    ClassifierUnavailable,
    DigitClassifier,
    check_images,
    classifier_path,
    load_metric_classifier,
    prepare_images,
    unavailable_reason,
    unavailable_reason_for,
)
from ganlab.settings.config import ImageStructure

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "mnist_test_digits.npz"


@pytest.fixture(scope="module")
def digits():
    with np.load(FIXTURE) as data:
        return {k: data[k] for k in data.files}


def as_input(images_uint8):
    return images_uint8[:, None].astype(np.float32) / 127.5 - 1


def test_the_shipped_file_is_small_and_describes_itself():
    path = classifier_path()
    assert path.is_file() and path.stat().st_size < 2 * 1024 * 1024
    clf = load_metric_classifier()
    meta = clf.metadata
    assert clf.test_accuracy >= 0.98
    assert (meta["image_size"], meta["channels"], meta["num_classes"], meta["feature_dim"]) == ("28", "1", "10", "64")
    assert "[-1, 1]" in meta["input"] and "MNIST" in meta["training_data"]
    assert clf.reference_features.shape == (4000, FEATURE_DIM)
    assert np.bincount(clf.reference_labels, minlength=10).min() > 300  # every digit well represented


def test_it_classifies_real_test_digits_correctly(digits):
    assert sorted(set(digits["labels"].tolist())) == list(range(10))
    predicted = load_metric_classifier().predict(as_input(digits["images"]))
    assert predicted.tolist() == digits["labels"].tolist()


def test_the_shipped_reference_features_are_this_classifiers_features(digits):
    clf = load_metric_classifier()
    features, probs = clf.features_and_probs(as_input(digits["images"]))
    np.testing.assert_allclose(features, clf.reference_features[digits["reference_index"]], atol=1e-4)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(clf.probs_from_features(features), probs, atol=1e-6)
    assert clf.reference_labels[digits["reference_index"]].tolist() == digits["labels"].tolist()


def test_loading_is_cached_and_the_net_is_frozen():
    clf = load_metric_classifier()
    assert load_metric_classifier() is clf
    assert not clf.net.training
    assert not any(p.requires_grad for p in clf.net.parameters())
    assert not clf.reference_features.flags.writeable


def test_a_missing_file_says_how_to_get_one(tmp_path):
    with pytest.raises(ClassifierUnavailable, match="missing.*train_metric_classifier"):
        load_metric_classifier(tmp_path / "nope.safetensors")


def test_a_corrupt_or_truncated_file_is_reported(tmp_path):
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"\x00\x01not a safetensors file" * 10)
    with pytest.raises(ClassifierUnavailable, match="damaged"):
        load_metric_classifier(junk)
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(classifier_path().read_bytes()[:5000])
    with pytest.raises(ClassifierUnavailable, match="damaged"):
        load_metric_classifier(cut)


def test_a_pickle_is_refused_not_unpickled(tmp_path):
    pickled = tmp_path / "pickled.safetensors"
    torch.save(DigitClassifier().state_dict(), pickled)
    with pytest.raises(ClassifierUnavailable, match="damaged"):
        load_metric_classifier(pickled)


def test_a_safetensors_file_of_other_weights_is_refused(tmp_path):
    from safetensors.torch import save_file

    other = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(3)}, str(other), metadata={"format_version": "1", "feature_dim": "64",
                                                            "test_accuracy": "0.5"})
    with pytest.raises(ClassifierUnavailable, match="expected weights"):
        load_metric_classifier(other)
    save_file({"w": torch.zeros(3)}, str(other), metadata={"format_version": "99"})
    with pytest.raises(ClassifierUnavailable, match="format '99'"):
        load_metric_classifier(other)


@pytest.mark.parametrize("dataset,size", [("mnist", 28), ("digits", 28), ("mnist", 32), ("digits", 32)])
def test_it_fits_grey_digit_runs(dataset, size):
    assert unavailable_reason(dataset, size, 1, 10) is None
    assert unavailable_reason_for(ImageStructure(dataset=dataset, image_size=size, channels=1)) is None


@pytest.mark.parametrize("dataset,size,channels,classes,says", [
    ("fashion-mnist", 28, 1, 10, "knows only handwritten digits"),
    ("cifar10", 32, 3, 10, "knows only handwritten digits"),
    ("my-cats", 28, 1, None, "knows only handwritten digits"),
    ("mnist", 28, 3, 10, "colour"),
    ("mnist", 64, 1, 10, "64 px"),
    ("digits", 28, 1, 5, "this run says 5"),
])
def test_other_runs_get_a_reason_instead_of_a_number(dataset, size, channels, classes, says):
    reason = unavailable_reason(dataset, size, channels, classes)
    assert reason is not None and says in reason


def test_32px_images_lose_exactly_the_padding_mnist_got(digits):
    x = torch.from_numpy(as_input(digits["images"]))
    padded = resize_images(x, 32, grow="pad")  # how the digit datasets are loaded at 32 px
    np.testing.assert_array_equal(prepare_images(padded.numpy()), x.numpy())
    np.testing.assert_array_equal(prepare_images(x.numpy()), x.numpy())


def test_wrong_shapes_and_values_are_refused():
    with pytest.raises(ValueError, match="grey square"):
        prepare_images(np.zeros((4, 3, 28, 28)))
    with pytest.raises(ValueError, match="grey square"):
        prepare_images(np.zeros((4, 1, 64, 64)))
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        check_images(torch.zeros(2, 1, 32, 32))
    with pytest.raises(ValueError, match="NaN"):
        load_metric_classifier().features_and_probs(np.full((2, 1, 28, 28), np.nan, dtype=np.float32))
