// placeholder: module slrt is being written
