import pytest
import torch
from torch import nn

from ganlab.nets.mlp import MLPDiscriminator, MLPGenerator, count_parameters, mlp
from ganlab.settings.config import MLPShape


def test_mlp_layers_and_widths():
    net = mlp(3, 2, MLPShape(hidden_layers=2, width=16, activation="relu"))
    kinds = [type(m) for m in net]
    assert kinds == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert [(m.in_features, m.out_features) for m in net if isinstance(m, nn.Linear)] == [(3, 16), (16, 16), (16, 2)]


def test_mlp_with_no_hidden_layers_is_one_linear_map():
    net = mlp(5, 1, MLPShape(hidden_layers=0, width=16))
    assert len(net) == 1
    assert (net[0].in_features, net[0].out_features) == (5, 1)


@pytest.mark.parametrize("activation, cls", [("relu", nn.ReLU), ("leaky_relu", nn.LeakyReLU), ("tanh", nn.Tanh)])
def test_activations(activation, cls):
    net = mlp(2, 2, MLPShape(hidden_layers=1, width=16, activation=activation))
    assert isinstance(net[1], cls)
    if cls is nn.LeakyReLU:
        assert net[1].negative_slope == pytest.approx(0.2)


def test_generator_shapes():
    G = MLPGenerator(noise_dim=3, shape=MLPShape(2, 16))
    assert G.noise_dim == 3
    out = G(torch.randn(7, 3))
    assert out.shape == (7, 2)
    assert MLPGenerator(4, MLPShape(1, 16), out_dim=5)(torch.randn(2, 4)).shape == (2, 5)


def test_discriminator_returns_one_logit_per_sample():
    D = MLPDiscriminator(MLPShape(2, 16))
    assert D(torch.randn(9, 2)).shape == (9,)
    assert D(torch.randn(1, 2)).shape == (1,)  # squeeze(-1) keeps the batch dimension
    assert MLPDiscriminator(MLPShape(1, 16), in_dim=3)(torch.randn(4, 3)).shape == (4,)


def test_labels_are_accepted_and_ignored():
    torch.manual_seed(0)
    G, D = MLPGenerator(2, MLPShape(1, 16)), MLPDiscriminator(MLPShape(1, 16))
    z, x = torch.randn(4, 2), torch.randn(4, 2)
    labels = torch.tensor([0, 1, 2, 3])
    torch.testing.assert_close(G(z, labels), G(z))
    torch.testing.assert_close(D(x, labels), D(x))


def test_count_parameters_hand_computed():
    # G: 2 -> 16 -> 16 -> 2: (2*16 + 16) + (16*16 + 16) + (16*2 + 2) = 48 + 272 + 34 = 354
    assert count_parameters(MLPGenerator(2, MLPShape(2, 16))) == 354
    # D: 2 -> 16 -> 1: (2*16 + 16) + (16 + 1) = 65
    assert count_parameters(MLPDiscriminator(MLPShape(1, 16))) == 65
    # no hidden layer: 2*1 + 1 = 3
    assert count_parameters(MLPDiscriminator(MLPShape(0, 16))) == 3


def test_gradients_flow_to_every_parameter():
    G, D = MLPGenerator(2, MLPShape(2, 16, "leaky_relu")), MLPDiscriminator(MLPShape(2, 16, "leaky_relu"))
    D(G(torch.randn(8, 2))).sum().backward()
    for module in (G, D):
        for name, p in module.named_parameters():
            assert p.grad is not None, name
