"""Steps that format generations for fine-tuning (SFT, DPO)."""
