"""The image page's settings in the URL: round trip, booleans, bad values reported one by one."""

import dataclasses

from ganlab.settings.config import ImageStructure, Knobs, OptimizerKnobs
from ganlab.settings.image_presets import IMAGE_PRESETS, KEPT_FROM_USER, KEPT_WITH_OWN_DATA, default_image_settings
from ganlab.settings.urlstate import FIELDS, IMAGE_FIELDS, KNOB_FIELDS, decode_image, encode_image


def test_round_trip_of_non_default_image_settings():
    structure = ImageStructure(dataset="cifar10", image_size=32, channels=3, noise_dim=64, width=48,
                               g_batch_norm=False, d_batch_norm=True, d_spectral_norm=False, conditional=True,
                               seed=9, ema_decay=0.995, extra_conv=True)
    knobs = Knobs(loss="hinge", d_steps=2, batch_size=96, r1_weight=0.5, g_opt=OptimizerKnobs("rmsprop", 3e-4, 0.1, 0.95))
    params = encode_image(structure, knobs)
    assert (params["gbn"], params["dbn"], params["cond"], params["ema"], params["xc"]) == ("0", "1", "1", "0.995", "1")
    decoded, knobs_back, problems = decode_image(params)
    assert problems == []
    assert decoded == structure and knobs_back == knobs


def test_booleans_accept_words_and_refuse_anything_else():
    structure, _, problems = decode_image({"cond": "true", "gbn": "no", "dsn": "maybe"})
    assert structure.conditional is True and structure.g_batch_norm is False
    assert structure.d_spectral_norm is ImageStructure().d_spectral_norm
    assert problems == ["link setting dsn=maybe is not true or false (1/0); kept the default"]


def test_bad_image_values_are_skipped_with_messages_on_top_of_defaults():
    defaults = default_image_settings()
    structure, knobs, problems = decode_image({"size": "64", "ema": "1.5", "w": "24", "glr": "x"}, defaults)
    assert structure.width == 24 and structure.image_size == 28 and structure.ema_decay == defaults[0].ema_decay
    assert knobs.g_opt.lr == defaults[1].g_opt.lr
    assert problems == [
        "link setting size=64 ignored: image size must be one of 28, 32; got 64",
        "link setting ema=1.5 ignored: EMA decay must be between 0 and 0.9999, got 1.5",
        "link setting glr=x is not a finite number; kept the default",
    ]


def test_every_image_setting_but_the_class_count_has_a_url_key_and_knobs_share_theirs():
    paths = {path for path, _ in IMAGE_FIELDS.values()}
    assert paths >= {("structure", f.name) for f in dataclasses.fields(ImageStructure) if f.name != "num_classes"}
    assert ("structure", "num_classes") not in paths  # it follows the dataset
    for key, spec in KNOB_FIELDS.items():
        assert FIELDS[key] == IMAGE_FIELDS[key] == spec


def test_presets_keep_the_users_data_and_seed_and_a_papers_row_brings_its_data():
    mine = ImageStructure(dataset="cifar10", image_size=32, channels=3, num_classes=10, seed=5, width=200)
    for preset in IMAGE_PRESETS.values():
        structure, knobs = preset.apply(mine)
        kept = KEPT_FROM_USER if preset.data is None else KEPT_WITH_OWN_DATA
        assert all(getattr(structure, name) == getattr(mine, name) for name in kept)
        if preset.data is not None:
            assert (structure.dataset, structure.image_size, structure.channels) == (
                preset.data, preset.structure.image_size, preset.structure.channels)
        assert structure.width == preset.structure.width and knobs == preset.knobs
    assert default_image_settings()[0].dataset == "digits"
