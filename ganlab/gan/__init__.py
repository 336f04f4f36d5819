"""What one GAN training iteration is: losses, regularizers, the step, its slow-motion trace, EMA, history and timeline."""
