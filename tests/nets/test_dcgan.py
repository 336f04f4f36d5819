"""DCGAN-style nets at width 8-16 on CPU: shapes, parameter counts worked by hand,
the DCGAN initialisation, spectral norm and the conditional variants."""

import dataclasses

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from ganlab.nets.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_init, has_spectral_norm
from ganlab.nets.mlp import count_parameters

NOISE = 8
WIDTH = 8
BATCH = 4


def noise(n=BATCH, dim=NOISE, seed=0):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


def labels_for(classes, n=BATCH):
    return torch.arange(n) % classes if classes else None


# ------------------------------------------------------------------ shapes
@pytest.mark.parametrize("extra_conv", [False, True])
@pytest.mark.parametrize("classes", [0, 3])
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [28, 32])
def test_shapes_for_each_size_channels_and_conditioning(size, channels, classes, extra_conv):
    torch.manual_seed(0)
    G = DCGANGenerator(NOISE, size, channels, WIDTH, num_classes=classes, extra_conv=extra_conv)
    D = DCGANDiscriminator(size, channels, WIDTH, batch_norm=True, spectral_norm=True, num_classes=classes,
                           extra_conv=extra_conv)
    y = labels_for(classes)
    x = G(noise(), y)
    assert x.shape == (BATCH, channels, size, size)
    assert x.min() >= -1 and x.max() <= 1  # tanh
    logits = D(x, y)
    assert logits.shape == (BATCH,)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize("size, side, top_channels", [(32, 4, 4 * WIDTH), (28, 7, 2 * WIDTH)])
def test_generator_projects_noise_to_the_smallest_map(size, side, top_channels):
    G = DCGANGenerator(NOISE, size, 1, WIDTH)
    first = G.net[0](noise()[:, :, None, None])
    assert first.shape == (BATCH, top_channels, side, side)


def test_parameter_counts_worked_by_hand():
    # 28px grey, noise 8, width 8, batch norm in G:
    #   ConvT(8->16, k7, no bias) 6272 + BN(16) 32 + ConvT(16->8, k4, no bias) 2048 + BN(8) 16
    #   + ConvT(8->1, k4) 128 + 1 bias = 8497
    assert count_parameters(DCGANGenerator(8, 28, 1, 8)) == 8497
    # no batch norm: the hidden convs get biases instead: 6272 + 16 + 2048 + 8 + 129
    assert count_parameters(DCGANGenerator(8, 28, 1, 8, batch_norm=False)) == 8473
    # conditional on 10 classes: z and an 8-d embedding in: ConvT(16->16, k7) 12544, embedding 80
    assert count_parameters(DCGANGenerator(8, 28, 1, 8, num_classes=10)) == 8497 + 6272 + 80
    # D: Conv(1->8, k4) 128+8, Conv(8->16, k4) 2048+16, Linear(16*7*7 -> 1) 784+1 = 2985
    assert count_parameters(DCGANDiscriminator(28, 1, 8)) == 2985
    # projection: one 784-d embedding per class
    assert count_parameters(DCGANDiscriminator(28, 1, 8, num_classes=10)) == 2985 + 7840
    # 32px colour D: Conv(3->8) 384+8, Conv(8->16) 2048+16, Conv(16->32) 8192+32, Linear(32*4*4 -> 1) 513
    assert count_parameters(DCGANDiscriminator(32, 3, 8)) == 11193


def test_extra_conv_parameter_counts_worked_by_hand():
    # G 28px: + Conv(16->16, k3, no bias) 2304 + BN(16) 32 at the 7x7 map
    assert count_parameters(DCGANGenerator(8, 28, 1, 8, extra_conv=True)) == 8497 + 2304 + 32
    # D 28px: Conv(1->8) 136, Conv(8->16) 2064, + Conv(16->32, k3) 4608+32, Linear(32*7*7 -> 1) 1568+1
    assert count_parameters(DCGANDiscriminator(28, 1, 8, extra_conv=True)) == 136 + 2064 + 4640 + 1569
    # 32px colour D: 392 + 2064 + 8224, + Conv(32->64, k3) 18432+64, Linear(64*4*4 -> 1) 1025
    assert count_parameters(DCGANDiscriminator(32, 3, 8, extra_conv=True)) == 392 + 2064 + 8224 + 18496 + 1025


def test_d_width_sizes_d_alone_and_0_means_as_wide_as_g():
    from ganlab.nets.image_nets import image_nets
    from ganlab.settings.config import ImageStructure

    base = ImageStructure(noise_dim=8, width=16, d_spectral_norm=False, conditional=False)
    g_same, d_same = image_nets(base)
    g_small, d_small = image_nets(dataclasses.replace(base, d_width=8))
    assert count_parameters(g_small) == count_parameters(g_same) == count_parameters(DCGANGenerator(8, 28, 1, 16))
    assert count_parameters(d_small) == 2985  # D at width 8, worked by hand above
    # D at width 16: Conv(1->16, k4) 256+16, Conv(16->32, k4) 8192+32, Linear(32*7*7 -> 1) 1568+1 = 10065
    assert count_parameters(d_same) == count_parameters(DCGANDiscriminator(28, 1, 16)) == 10065
    assert count_parameters(image_nets(dataclasses.replace(base, d_width=16))[1]) == count_parameters(d_same)
    assert base.d_width == 0 and base.discriminator_width == 16


@pytest.mark.parametrize("size, side", [(28, 7), (32, 4)])
def test_extra_conv_works_at_the_smallest_map(size, side):
    G = DCGANGenerator(NOISE, size, 1, WIDTH, extra_conv=True)
    top = 2 * WIDTH if size == 28 else 4 * WIDTH
    # projection block (ConvT, BN, ReLU), then the extra block keeps channels and side
    assert isinstance(G.net[3], nn.Conv2d) and G.net[3].kernel_size == (3, 3)
    assert G.net[:6](noise()[:, :, None, None]).shape == (BATCH, top, side, side)
    D = DCGANDiscriminator(size, 1, WIDTH, extra_conv=True)
    assert D.features(torch.zeros(BATCH, 1, size, size)).shape == (BATCH, 2 * top * side * side)
    assert D.feature_dim == 2 * top * side * side


@pytest.mark.parametrize("kwargs", [{"image_size": 64}, {"channels": 2}])
def test_unsupported_shapes_are_refused(kwargs):
    args = {"image_size": 32, "channels": 3, "width": WIDTH} | kwargs
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        DCGANGenerator(NOISE, **args)
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        DCGANDiscriminator(**args)


# ------------------------------------------------------------------ init
def test_dcgan_init_statistics():
    torch.manual_seed(0)
    G = DCGANGenerator(100, 32, 3, 16)
    D = DCGANDiscriminator(32, 3, 16, batch_norm=True)
    # torch's default init would give std 0.018 (G's first layer) and 0.036 (D's 16->32 conv)
    big = G.net[0].weight  # 100 x 64 x 4 x 4 = 102,400 weights
    assert big.numel() == 102_400
    assert big.std().item() == pytest.approx(0.02, rel=0.01)
    assert big.mean().item() == pytest.approx(0.0, abs=3e-4)
    d_conv = D.features[2].weight  # 32 x 16 x 4 x 4
    assert d_conv.std().item() == pytest.approx(0.02, rel=0.05)
    bn_weights = torch.cat([m.weight for net in (G, D) for m in net.modules() if isinstance(m, nn.BatchNorm2d)])
    assert bn_weights.numel() == 64 + 32 + 16 + 32 + 64  # G's three BNs, D's two (none on its first layer)
    assert bn_weights.mean().item() == pytest.approx(1.0, abs=0.01)
    assert bn_weights.std().item() == pytest.approx(0.02, rel=0.3)
    for net in (G, D):
        for m in net.modules():
            if getattr(m, "bias", None) is not None:
                assert torch.count_nonzero(m.bias) == 0, m


def test_dcgan_init_reinitialises_in_place_and_reaches_spectral_norm_originals():
    D = DCGANDiscriminator(28, 1, 8, spectral_norm=True)
    original = D.features[2].parametrizations.weight.original
    with torch.no_grad():
        original.fill_(5.0)
        D.out.bias.fill_(3.0)
    assert dcgan_init(D) is D
    assert original.abs().max() < 0.2  # N(0, 0.02): 5 would be 250 sd away
    assert D.out.bias.item() == 0.0


def test_batch_norm_uses_batch_statistics_in_both_modes_and_keeps_no_state():
    torch.manual_seed(0)
    G = DCGANGenerator(NOISE, 28, 1, WIDTH)
    D = DCGANDiscriminator(28, 1, WIDTH, batch_norm=True)
    assert list(G.buffers()) == [] and list(D.buffers()) == []  # no running averages to drift
    z = noise()
    train_out = G(z)
    G.eval()
    assert_close(G(z), train_out)


# ------------------------------------------------------------ spectral norm
def _sigma(weight):
    return torch.linalg.matrix_norm(weight.reshape(weight.shape[0], -1), ord=2).item()


def test_spectral_norm_present_when_asked_and_normalises_every_weight():
    torch.manual_seed(0)
    plain = DCGANDiscriminator(32, 3, WIDTH, num_classes=4)
    D = DCGANDiscriminator(32, 3, WIDTH, spectral_norm=True, num_classes=4)
    assert not has_spectral_norm(plain) and has_spectral_norm(D)
    x, y = torch.rand(BATCH, 3, 32, 32) * 2 - 1, labels_for(4)
    for _ in range(100):  # each training-mode call runs one power iteration (a width-8 D: 0.1 s)
        D(x, y)
    layers = [m for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding))]
    assert len(layers) == 5  # three convs, the output layer, the projection embedding
    for m in layers:
        assert _sigma(m.weight) == pytest.approx(1.0, abs=2e-3), m
    # without spectral norm the DCGAN-initialised conv is far from 1 (about 0.02 * (sqrt(16) + sqrt(128)))
    assert _sigma(plain.features[2].weight) < 0.5


# -------------------------------------------------------------- conditional
def test_conditional_generator_depends_on_the_label():
    torch.manual_seed(0)
    G = DCGANGenerator(NOISE, 28, 1, WIDTH, num_classes=3)
    z = noise(2).repeat(3, 1)  # rows: z0 z1 z0 z1 z0 z1
    y = torch.tensor([0, 0, 1, 1, 2, 2])
    x = G(z, y)
    for a, b in [(0, 2), (0, 4), (2, 4), (1, 3)]:  # same z, different class
        assert (x[a] - x[b]).abs().max() > 1e-3
    x_same = G(z, torch.zeros(6, dtype=torch.long))  # same z, same class: same image
    assert_close(x_same[0], x_same[2])
    assert_close(x_same[1], x_same[5])


def test_unconditional_nets_ignore_labels():
    torch.manual_seed(0)
    G = DCGANGenerator(NOISE, 28, 1, WIDTH, batch_norm=False)
    D = DCGANDiscriminator(28, 1, WIDTH)
    z, y = noise(), torch.tensor([0, 1, 2, 3])
    assert_close(G(z, y), G(z))
    x = G(z)
    assert_close(D(x, y), D(x))


def test_projection_discriminator_adds_the_class_embedding_inner_product():
    torch.manual_seed(0)
    D = DCGANDiscriminator(28, 1, WIDTH, num_classes=2)
    with torch.no_grad():
        D.out.bias.zero_()
        D.embed.weight[0] = D.out.weight[0]  # class 0: <w, h> again -> twice the unconditional logit
        D.embed.weight[1] = 0.0  # class 1: no projection term -> the unconditional logit
    x = torch.rand(BATCH, 1, 28, 28) * 2 - 1
    as_0 = D(x, torch.zeros(BATCH, dtype=torch.long))
    as_1 = D(x, torch.ones(BATCH, dtype=torch.long))
    assert_close(as_0, 2 * as_1)
    assert as_1.abs().min() > 0  # the check above is not 0 == 0


@pytest.mark.parametrize("net", ["generator", "discriminator"])
def test_conditional_net_without_labels_raises(net):
    if net == "generator":
        module, inputs = DCGANGenerator(NOISE, 32, 3, WIDTH, num_classes=5), noise()
    else:
        module, inputs = DCGANDiscriminator(32, 3, WIDTH, num_classes=5), torch.zeros(BATCH, 3, 32, 32)
    with pytest.raises(ValueError, match=f"this {net} is conditional on 5 classes: call it with labels"):
        module(inputs)
    with pytest.raises(ValueError, match=r"labels must have shape \(4,\)"):
        module(inputs, torch.zeros(3, dtype=torch.long))
