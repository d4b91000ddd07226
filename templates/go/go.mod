module handler

go 1.19

require handler/function v0.0.0

replace handler/function => ./function
