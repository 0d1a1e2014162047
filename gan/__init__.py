"""Fashion-MNIST GAN Explorer: the course report's MLP and CNN GANs, trained, measured and served."""
