"""Rules of the billing module, one submodule per subject. Other modules call these."""
