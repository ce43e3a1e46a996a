// placeholder: module tpm is being written
