"""LLM engines behind one Protocol.

A: llama.cpp in process; B: llama-server over HTTP; C: ExLlamaV2 (GPU, own venv).
"""
