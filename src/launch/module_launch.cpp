// placeholder: module launch is being written
