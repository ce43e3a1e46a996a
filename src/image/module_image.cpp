// placeholder: module image is being written
