package vbox

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// COM result codes the simulator reports.
const (
	codeObjectNotFound  = "VBOX_E_OBJECT_NOT_FOUND"
	codeInvalidVMState  = "VBOX_E_INVALID_VM_STATE"
	codeInvalidObjState = "VBOX_E_INVALID_OBJECT_STATE"
	codeFileError       = "VBOX_E_FILE_ERROR"
	codeInvalidArg      = "NS_ERROR_INVALID_ARG"
	codeFail            = "E_FAIL"
	codeAccessDenied    = "E_ACCESSDENIED"
	codeAbort           = "NS_ERROR_ABORT"
	codeIPRTError       = "VBOX_E_IPRT_ERROR"
	codeObjectInUse     = "VBOX_E_OBJECT_IN_USE"
	codeNotSupported    = "VBOX_E_NOT_SUPPORTED"
)

var hresults = map[string]struct {
	hex  string
	desc string
}{
	codeObjectNotFound:  {"0x80bb0001", "Object not found"},
	codeInvalidVMState:  {"0x80bb0002", "Invalid VM state"},
	codeFileError:       {"0x80bb0004", "File error"},
	codeIPRTError:       {"0x80bb0005", "IPRT error"},
	codeInvalidObjState: {"0x80bb0007", "Invalid object state"},
	codeObjectInUse:     {"0x80bb000c", "Object in use"},
	codeNotSupported:    {"0x80bb0009", "Not supported"},
	codeInvalidArg:      {"0x80070057", "Invalid argument value"},
	codeFail:            {"0x80004005", "Unspecified error"},
	codeAccessDenied:    {"0x80070005", "Access denied"},
	codeAbort:           {"0x80004004", "Operation aborted"},
}

// comError is a failed API call, printed as VBoxManage prints COM errors.
type comError struct {
	Msg       string // may span lines; "" = no error info ("extended info not available")
	Code      string
	Component string // e.g. MachineWrap
	Interface string // e.g. IMachine
	Context   string // the C++ call; "" = no Context line (progress errors)
	File      string // VBoxManageXxx.cpp
	Line      int
	NoCallee  bool // progress errors print Details without "callee"
	// Extra lines printed after the Context line (hints of the real tool).
	Extra []string
}

func (e *comError) Error() string { return e.Msg }

// syntaxError is a usage error, exit 2. VBoxManage prints it three ways:
// errorSyntax (logo, message, blank line, usage), errorGetOpt (logo,
// message, usage) and errorArgument (message only). The simulator leaves
// the usage text out.
type syntaxError struct {
	msg  string
	kind string // syntax | getopt | argument
}

func (e *syntaxError) Error() string { return e.msg }

// syntaxf is an errorSyntax failure.
func syntaxf(format string, a ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, a...), kind: "syntax"}
}

// getoptf is an errorGetOpt failure (unknown option, missing value, ...).
func getoptf(format string, a ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, a...), kind: "getopt"}
}

// argf is an errorArgument failure: the message alone, exit 2.
func argf(format string, a ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, a...), kind: "argument"}
}

// logo is the banner syntax errors start with.
func (v version) logo() string {
	num := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	switch {
	case !v.v7():
		return "Oracle VM VirtualBox Command Line Management Interface Version " + num +
			"\n(C) 2005-2024 Oracle Corporation\nAll rights reserved.\n\n"
	case v.atLeast(7, 1, 0):
		return "Oracle VirtualBox Command Line Management Interface Version " + num +
			"\nCopyright (C) 2005-2024 Oracle and/or its affiliates\n\n"
	}
	return "Oracle VM VirtualBox Command Line Management Interface Version " + num +
		"\nCopyright (C) 2005-2024 Oracle and/or its affiliates\n\n"
}

// plainError is an error printed as text only (RTMsgError), exit 1.
type plainError struct{ msg string }

func (e *plainError) Error() string { return e.msg }

func plainf(format string, a ...any) error {
	return &plainError{msg: fmt.Sprintf(format, a...)}
}

const prefix = "VBoxManage: error: "

// printError writes err in the real tool's form and returns the exit code.
func printError(w io.Writer, err error, v version) int {
	var com *comError
	var syn *syntaxError
	var pl *plainError
	var silent silentFailure
	switch {
	case errors.As(err, &silent):
		return exitFailure
	case errors.As(err, &syn):
		if syn.kind != "argument" {
			fmt.Fprint(w, v.logo())
		}
		msg := syn.msg
		// 7.0 printed RTGetOpt's own lower-case wording.
		if v.Major == 7 && v.Minor == 0 && syn.kind == "getopt" {
			msg = strings.Replace(msg, "Unknown option:", "unknown option:", 1)
		}
		fmt.Fprintf(w, "%s%s\n", prefix, msg)
		if syn.kind == "syntax" {
			fmt.Fprintln(w)
		}
		return exitSyntax
	case errors.As(err, &pl):
		for _, l := range strings.Split(pl.msg, "\n") {
			fmt.Fprintf(w, "%s%s\n", prefix, l)
		}
		return exitFailure
	case errors.As(err, &com):
		printCOM(w, com)
		return exitFailure
	}
	fmt.Fprintf(w, "%s%v\n", prefix, err)
	return exitFailure
}

func printCOM(w io.Writer, e *comError) {
	hr := hresults[e.Code]
	if e.Msg == "" {
		fmt.Fprintf(w, "%sCode %s (%s) - %s (extended info not available)\n",
			prefix, e.Code, hr.hex, hr.desc)
	} else {
		for _, l := range strings.Split(e.Msg, "\n") {
			fmt.Fprintf(w, "%s%s\n", prefix, l)
		}
		callee := ", callee nsISupports"
		if e.NoCallee {
			callee = ""
		}
		fmt.Fprintf(w, "%sDetails: code %s (%s), component %s, interface %s%s\n",
			prefix, e.Code, hr.hex, e.Component, e.Interface, callee)
	}
	if e.Context != "" {
		fmt.Fprintf(w, "%sContext: \"%s\" at line %d of file %s\n",
			prefix, e.Context, e.Line, e.File)
	}
	for _, l := range e.Extra {
		fmt.Fprintf(w, "%s%s\n", prefix, l)
	}
}

// errVMNotFound is the FindMachine failure for an unknown name or UUID.
func errVMNotFound(arg string) error {
	msg := fmt.Sprintf("Could not find a registered machine named '%s'", arg)
	if isUUID(strings.Trim(arg, "{}")) {
		msg = fmt.Sprintf("Could not find a registered machine with UUID {%s}",
			strings.Trim(arg, "{}"))
	}
	return &comError{
		Msg: msg, Code: codeObjectNotFound,
		Component: "VirtualBoxWrap", Interface: "IVirtualBox",
		Context: "FindMachine(Bstr(VMNameOrUuid).raw(), machine.asOutParam())",
		File:    "VBoxManageInfo.cpp", Line: 3110,
	}
}

// errLocked is the LockMachine(Write) failure on a running or paused VM.
func errLocked(name, file string, line int) error {
	return &comError{
		Msg: fmt.Sprintf(
			"The machine '%s' is already locked for a session (or being unlocked)", name),
		Code:      codeInvalidObjState,
		Component: "MachineWrap", Interface: "IMachine",
		Context: "LockMachine(a->session, LockType_Write)", File: file, Line: line,
	}
}

// errNotMutable is a setter failing on a saved VM.
func errNotMutable(state, setter string) error {
	return &comError{
		Msg:       fmt.Sprintf("The machine is not mutable (state is %s)", state),
		Code:      codeInvalidVMState,
		Component: "SessionMachine", Interface: "IMachine",
		Context: setter, File: "VBoxManageModifyVM.cpp", Line: 1082,
	}
}

// errNotRunning is controlvm on a machine without a console.
func errNotRunning(arg string) error {
	return plainf("Machine '%s' is not currently running.", arg)
}
