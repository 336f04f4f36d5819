"""ganlab: an interactive lab for Generative Adversarial Networks."""

__version__ = "0.1.0"
