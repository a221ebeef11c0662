"""Quality measures for the eval commands: repair (CER/WER), translation (BLEU/chrF), retrieval."""
