package xmlrpc

import "strconv"

// Struct is an XML-RPC struct whose members are encoded in slice order.
type Struct []Member

// Member is one name/value pair of a Struct.
type Member struct {
	Name  string
	Value any
}

// Fault is an XML-RPC fault response; ParseResponse returns it as its error.
type Fault struct {
	Code   int
	String string
}

func (f *Fault) Error() string {
	return "xmlrpc fault " + strconv.Itoa(f.Code) + ": " + f.String
}

// maxDepth bounds array and struct nesting, both ways, so that neither a
// hostile message nor a cyclic value can exhaust the stack.
const maxDepth = 100
