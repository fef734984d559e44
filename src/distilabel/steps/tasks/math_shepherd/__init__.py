"""Math-Shepherd: process reward data from step-by-step solutions labelled by completing them."""
