"""Training dynamics of GANs in closed form: the Dirac-GAN of Mescheder, Geiger and Nowozin (2018).

numpy only (no torch, no streamlit): dirac.py holds the losses' derivatives, the gradient
vector field and the update rules; analysis.py the linearization at the equilibrium and the
verdict on a trajectory; explain.py the page's sentences from those numbers; settings.py the
page's settings, its cases from the paper, and their URL form; cases.py the runs of the paper's
notebook (notebooks/DiracGAN.ipynb) as those settings.
"""
