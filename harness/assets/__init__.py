"""Test assets found through a setting, never copied into the repository: the search roots (``roots``), the
tokenizer folders (``tokenizers``) and the datasets (``data``)."""
