"""Training dynamics of GANs in closed form: the Dirac-GAN of Mescheder, Geiger and Nowozin (2018).

numpy only (no torch, no streamlit): dirac.py holds the losses' derivatives, the gradient
vector field and the update rules; analysis.py the linearization at the equilibrium and the
verdict on a trajectory; settings.py the page's settings and their URL form.
"""
