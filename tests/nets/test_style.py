"""The style-based generator at width 8 on CPU: shapes, a parameter count worked by hand, noise
inputs in train and eval mode, truncation and style mixing against hand-built values,
weight demodulation, and one real training step against a small DCGAN discriminator."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from ganlab.nets.dcgan import DCGANDiscriminator
from ganlab.nets.mlp import count_parameters
from ganlab.nets.style import ModulatedConv, StyleGenerator, mix_styles, truncate

NOISE = 8
WIDTH = 8
BATCH = 4


def noise(n=BATCH, dim=NOISE, seed=0):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


def generator(size=28, channels=1, seed=0, **kwargs):
    torch.manual_seed(seed)
    return StyleGenerator(NOISE, size, channels, WIDTH, **kwargs)


def set_noise_strengths(G, value):
    with torch.no_grad():
        for layer in G.layers:
            layer.noise_strength.fill_(value)


# ------------------------------------------------------------------ shapes and initialisation
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size, num_styles", [(28, 6), (32, 8)])
def test_shapes_range_and_style_count(size, num_styles, channels):
    G = generator(size, channels)
    x = G(noise())
    assert x.shape == (BATCH, channels, size, size)
    assert torch.isfinite(x).all()
    assert x.min() >= -1 and x.max() <= 1  # tanh
    # a const-map conv, 2 convs per doubling (2 at 28px, 3 at 32px), the toRGB
    assert G.num_styles == num_styles
    assert G.mapping(noise()).shape == (BATCH, NOISE)
    assert (G.noise_dim, G.image_size, G.channels, G.num_classes) == (NOISE, size, channels, 0)


def test_w_dim_defaults_to_noise_dim_capped():
    assert StyleGenerator(8, 28, 1, WIDTH).w_dim == 8
    assert StyleGenerator(300, 28, 1, WIDTH).w_dim == 256
    assert StyleGenerator(8, 28, 1, WIDTH, w_dim=12).mapping(noise()).shape == (BATCH, 12)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="image_size"):
        StyleGenerator(NOISE, 64, 1, WIDTH)
    with pytest.raises(ValueError, match="mapping_layers"):
        StyleGenerator(NOISE, 28, 1, WIDTH, mapping_layers=0)
    G = generator()
    with pytest.raises(ValueError, match=r"ws must have shape \(batch, 6, 8\)"):
        G.synthesize(torch.zeros(2, 5, NOISE))


def test_parameter_count_worked_by_hand():
    # 28px grey, noise 8, width 8, 2 mapping layers, w_dim 8. Channels 16 (7x7), 8 (14x14), 4 (28x28).
    # mapping: 2 x (8*8 + 8) = 144; const 16*7*7 = 784.
    # a style layer c_in -> c_out: conv 9*c_in*c_out + affine (8*c_in + c_in) + bias c_out + noise strength c_out
    #   16->16: 2304 + 144 + 32 = 2480;  16->8: 1152 + 144 + 16 = 1312;  8->8: 576 + 72 + 16 = 664
    #   8->4: 288 + 72 + 8 = 368;  4->4: 144 + 36 + 8 = 188
    # toRGB 4->1 (1x1): 4 + affine 36 + bias 1 = 41
    G = StyleGenerator(8, 28, 1, 8, mapping_layers=2)
    assert count_parameters(G) == 144 + 784 + 2480 + 1312 + 664 + 368 + 188 + 41


@pytest.mark.parametrize("size", [28, 32])
def test_fresh_generator_is_not_saturated_and_varies_with_z(size):
    G = generator(size, 3).eval()
    x = G(noise(8))
    assert x.abs().mean() < 0.7
    assert x.std(dim=0).mean() > 0.01  # images differ from one z to the next


# ------------------------------------------------------------------ noise inputs
def test_eval_mode_is_deterministic_and_reproducible_from_the_seed():
    G = generator().eval()
    set_noise_strengths(G, 0.05)
    z = noise()
    assert torch.equal(G(z), G(z))
    H = generator().eval()  # same seed before construction: same weights and fixed noise maps
    set_noise_strengths(H, 0.05)
    assert torch.equal(G(z), H(z))


def test_train_mode_draws_fresh_noise_once_strengths_are_nonzero():
    G = generator()
    z = noise()
    with torch.no_grad():
        eval_out = G.eval()(z)
        assert torch.equal(G.train()(z), eval_out)  # strengths 0: noise has no effect yet
        set_noise_strengths(G, 0.05)
        a, b = G(z), G(z)
    assert not torch.equal(a, b)
    assert (a - b).abs().max() > 1e-3


def test_eval_mode_renders_each_latent_alone_as_in_a_batch():
    # no batch norm, no shared noise draw: a slider can render one latent at a time
    G = generator().eval()
    set_noise_strengths(G, 0.05)
    z = noise()
    assert_close(G(z)[2:3], G(z[2:3]))


# ------------------------------------------------------------------ truncation and mixing
def test_truncate_by_hand():
    w = torch.tensor([[2.0, -4.0, 1.0], [0.0, 6.0, -2.0]])
    w_mean = torch.tensor([1.0, 0.0, 3.0])
    assert torch.equal(truncate(w, w_mean, 0.0), w_mean.expand(2, 3))
    assert torch.equal(truncate(w, w_mean, 1.0), w)
    assert torch.equal(truncate(w, w_mean, 0.5), torch.tensor([[1.5, -2.0, 2.0], [0.5, 3.0, 0.5]]))
    # exact at both ends for values that do not round-trip through w - w_mean
    w = torch.tensor([[0.1, 1e8]])
    m = torch.tensor([0.3, -1e-3])
    assert torch.equal(truncate(w, m, 1.0), w) and torch.equal(truncate(w, m, 0.0), m[None])


def test_mix_styles_by_hand():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = torch.tensor([[-1.0, -2.0], [-3.0, -4.0]])
    assert torch.equal(mix_styles(a, b, 3, 0), torch.stack([b, b, b], dim=1))
    assert torch.equal(mix_styles(a, b, 3, 3), torch.stack([a, a, a], dim=1))
    expected = torch.tensor([[[1.0, 2.0], [-1.0, -2.0], [-1.0, -2.0]],
                             [[3.0, 4.0], [-3.0, -4.0], [-3.0, -4.0]]])
    assert torch.equal(mix_styles(a, b, 3, 1), expected)
    assert torch.equal(mix_styles(a, b, 3, np.int64(1)), expected)  # a slider may hand a numpy integer


@pytest.mark.parametrize("crossover", [-1, 7, 2.0, True])
def test_mix_styles_refuses_a_crossover_outside_0_to_num_styles(crossover):
    with pytest.raises(ValueError, match="crossover must be a whole number from 0 to 6"):
        mix_styles(torch.zeros(1, 2), torch.zeros(1, 2), 6, crossover)


def test_synthesize_of_one_w_everywhere_equals_forward():
    G = generator(32).eval()
    set_noise_strengths(G, 0.03)
    z = noise()
    ws = G.mapping(z)[:, None, :].repeat(1, G.num_styles, 1)
    assert torch.equal(G.synthesize(ws), G(z))
    # a mix at crossover num_styles is all-a: forward(z_a) again
    mixed = mix_styles(G.mapping(z), G.mapping(noise(seed=1)), G.num_styles, G.num_styles)
    assert torch.equal(G.synthesize(mixed), G(z))


def test_mixing_changes_only_what_the_fine_layers_control():
    G = generator().eval()
    w_a, w_b = G.mapping(noise(seed=1)), G.mapping(noise(seed=2))
    x_a = G.synthesize(mix_styles(w_a, w_b, G.num_styles, G.num_styles))
    x_mix = G.synthesize(mix_styles(w_a, w_b, G.num_styles, G.num_styles - 1))  # toRGB's style from b
    x_b = G.synthesize(mix_styles(w_a, w_b, G.num_styles, 0))
    assert not torch.equal(x_mix, x_a) and not torch.equal(x_mix, x_b)
    # toRGB from b changes less than every layer from b
    assert (x_mix - x_a).abs().mean() < (x_b - x_a).abs().mean()


def test_mean_w_is_the_mean_of_mapped_gaussian_z():
    G = generator()
    z = torch.randn(64, NOISE, generator=torch.Generator().manual_seed(5))
    expected = G.mapping(z).mean(dim=0)
    got = G.mean_w(64, generator=torch.Generator().manual_seed(5))
    assert_close(got, expected)
    assert not got.requires_grad and got.shape == (NOISE,)


# ------------------------------------------------------------------ demodulation
def test_demodulated_weights_have_unit_norm_per_output_channel():
    torch.manual_seed(0)
    conv = ModulatedConv(6, 5, kernel_size=3, w_dim=4)
    w = 3 * torch.randn(BATCH, 4)  # styles far from 1
    norms = conv.modulated_weight(w).square().sum(dim=(2, 3, 4)).sqrt()
    assert norms.shape == (BATCH, 5)
    assert_close(norms, torch.ones(BATCH, 5))
    plain = ModulatedConv(6, 5, kernel_size=3, w_dim=4, demodulate=False)
    assert (plain.modulated_weight(w).square().sum(dim=(2, 3, 4)).sqrt() - 1).abs().max() > 0.1


def test_demodulated_conv_keeps_unit_variance_per_output_channel():
    torch.manual_seed(0)
    conv = ModulatedConv(16, 4, kernel_size=3, w_dim=4)
    x = torch.randn(BATCH, 16, 32, 32)
    with torch.no_grad():
        out = conv(x, 3 * torch.randn(BATCH, 4))[:, :, 1:-1, 1:-1]  # borders see zero padding
    std = out.std(dim=(2, 3))  # per sample, per output channel
    assert std.min() > 0.7 and std.max() < 1.4


# ------------------------------------------------------------------ training
def test_one_training_step_moves_every_generator_parameter():
    G = generator()
    torch.manual_seed(1)
    D = DCGANDiscriminator(28, 1, 8)
    g_opt = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.0, 0.99))
    d_opt = torch.optim.Adam(D.parameters(), lr=1e-3, betas=(0.0, 0.99))
    real = torch.rand(8, 1, 28, 28) * 2 - 1
    before = {name: p.detach().clone() for name, p in G.named_parameters()}

    d_loss = F.softplus(-D(real)).mean() + F.softplus(D(G(noise(8)).detach())).mean()
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
    g_loss = F.softplus(-D(G(noise(8, seed=1)))).mean()  # non-saturating
    g_opt.zero_grad()
    g_loss.backward()
    assert torch.isfinite(d_loss) and torch.isfinite(g_loss)
    mapping_grad = G.mapping_net[0].weight.grad
    assert mapping_grad is not None and mapping_grad.abs().sum() > 0  # the style path is trained
    g_opt.step()
    unchanged = [name for name, p in G.named_parameters() if torch.equal(p, before[name])]
    assert unchanged == []
