// placeholder: module eventlog is being written
