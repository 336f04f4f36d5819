"""Packed discriminators (PacGAN): a D with `pack` m scores m consecutive samples at once, exactly
as its inner net scores their features (2D) or channels (images) joined by hand."""

import pytest
import torch
from torch.testing import assert_close

from ganlab.nets.dcgan import DCGANDiscriminator
from ganlab.nets.mlp import MLPDiscriminator, toy_nets
from ganlab.nets.packing import PackingError, pack_samples
from ganlab.settings.config import MLPShape, ToyStructure

SHAPE = MLPShape(2, 16)


def hand_packed(x: torch.Tensor, pack: int) -> torch.Tensor:
    """Each run of `pack` consecutive samples joined along axis 1, written out sample by sample."""
    return torch.stack([torch.cat([x[i + j] for j in range(pack)], dim=0) for i in range(0, len(x), pack)])


def input_gradients(D, x):
    x = x.detach().clone().requires_grad_(True)
    out = D(x)
    (grad,) = torch.autograd.grad(out.square().sum(), x)
    return out.detach(), grad


@pytest.mark.parametrize("pack", [1, 2, 3, 4])
def test_a_packed_mlp_scores_each_pack_as_its_inner_net_scores_the_joined_coordinates(pack):
    torch.manual_seed(0)
    D = MLPDiscriminator(SHAPE, pack=pack)
    x = torch.randn(12, 2)
    out = D(x)
    assert out.shape == (12 // pack,)
    assert D.net[0].in_features == 2 * pack
    assert_close(out, D.net(hand_packed(x, pack)).squeeze(-1))
    # the same weights in a plain D whose input is the joined coordinates: same scores, same gradients
    plain = MLPDiscriminator(SHAPE, in_dim=2 * pack)
    plain.load_state_dict(D.state_dict())
    (out.square().sum()).backward()
    plain(hand_packed(x, pack)).square().sum().backward()
    for (name, p), q in zip(D.named_parameters(), plain.parameters(), strict=True):
        assert_close(p.grad, q.grad, msg=name)
    # and the gradient in each sample is its slice of the gradient in its pack
    _, grad = input_gradients(D, x)
    _, packed_grad = input_gradients(plain, hand_packed(x, pack))
    assert_close(grad, packed_grad.reshape(12, 2))


@pytest.mark.parametrize("pack, channels", [(2, 1), (3, 3), (4, 1)])
def test_a_packed_dcgan_d_stacks_the_images_channels(pack, channels):
    torch.manual_seed(1)
    D = DCGANDiscriminator(28, channels, 8, spectral_norm=False, extra_conv=True, pack=pack)
    x = torch.randn(2 * pack, channels, 28, 28)
    packed = hand_packed(x, pack)
    assert packed.shape == (2, channels * pack, 28, 28)
    assert D.features[0].in_channels == channels * pack

    def inner(images):  # D's layers on an input of pack * channels channels
        return D.out(D.features(images)).squeeze(1)

    out = D(x)
    assert out.shape == (2,)
    assert_close(out, inner(packed))
    params = list(D.parameters())
    for got, want in zip(torch.autograd.grad(out.square().sum(), params),
                         torch.autograd.grad(inner(packed).square().sum(), params), strict=True):
        assert_close(got, want)


def test_pack_samples_keeps_the_first_sample_first_and_refuses_a_partial_pack():
    x = torch.arange(12.0).reshape(6, 2)
    assert pack_samples(x, 1) is x
    assert pack_samples(x, 3).tolist() == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    with pytest.raises(PackingError, match="judges 4 samples at once: a batch of 6 is not a multiple of 4"):
        MLPDiscriminator(SHAPE, pack=4)(x)


def test_a_packed_image_d_is_unconditional():
    with pytest.raises(ValueError, match="a packed discriminator is unconditional"):
        DCGANDiscriminator(28, 1, 8, num_classes=10, pack=2)


def test_the_structure_builds_a_packed_d_and_pack_one_is_todays_d():
    G, D = toy_nets(ToyStructure(generator=SHAPE, discriminator=SHAPE, pack=3))
    assert D.pack == 3 and D.net[0].in_features == 6
    _, plain = toy_nets(ToyStructure(generator=SHAPE, discriminator=SHAPE))
    assert plain.pack == 1 and list(plain.state_dict()) == list(D.state_dict())  # the same names: runs load
